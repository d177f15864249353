"""The gateway: OpenAI-compatible routes, keys, tenants, quotas, audit, routing, batching."""

from strata.serve.app import create_app
from strata.serve.audit import AuditLog, VerifyResult
from strata.serve.auth import KeyStore, Limits, Principal

__all__ = ["AuditLog", "KeyStore", "Limits", "Principal", "VerifyResult", "create_app"]
