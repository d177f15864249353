"""Security policies in YAML, per tenant and per app: which filters run, thresholds, fail mode.

```yaml
default:                      # every tenant starts here
  filters:
    pii: {mode: mask}
    injection: {threshold: 0.9, fail: closed}
tenants:
  acme:
    filters:
      pii: {mode: pseudonym}
      pii-output: {}
      deny-list: {terms: ["project falcon"]}
    apps:
      claims-bot:
        filters:
          injection: {enabled: false}
```
An app's entry overrides its tenant's, which overrides `default`, option by option.
`PolicySet.resolve` returns `{filter: options}`, the shape the gateway builds filters from.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from strata.core.validation import first_problem
from strata.security.errors import InvalidPolicy

BUILTIN_FILTERS: dict[str, frozenset[str]] = {
    "pii": frozenset({"mode", "entities", "salt", "min_score"}),
    "injection": frozenset({"model", "threshold", "max_chars"}),
    "pii-output": frozenset({"mode", "entities", "salt", "min_score"}),
    "deny-list": frozenset({"terms", "case_sensitive"}),
}
COMMON_OPTIONS = frozenset({"enabled", "fail"})
MODES = ("mask", "hash", "pseudonym")


class FilterRule(BaseModel):
    """One filter's settings in a policy; other keys are the filter's own options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = Field(True, description="Run this filter (false turns an inherited one off).")
    fail: Literal["open", "closed"] = Field(
        "closed", description="When the filter itself fails: open lets the text through."
    )
    threshold: float | None = Field(None, ge=0, le=1, description="Score at or above blocks.")
    mode: Literal["mask", "hash", "pseudonym"] | None = Field(None, description="PII redaction.")


class Scope(BaseModel):
    """Filters of one scope (the default, a tenant or an app)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filters: dict[str, FilterRule] = Field(default_factory=dict)


class TenantScope(Scope):
    """A tenant's filters and its apps' overrides."""

    apps: dict[str, Scope] = Field(default_factory=dict)


class PolicyFile(BaseModel):
    """The whole YAML document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Scope = Field(default_factory=Scope)
    tenants: dict[str, TenantScope] = Field(default_factory=dict)

    @field_validator("tenants")
    @classmethod
    def _names(cls, value: dict[str, TenantScope]) -> dict[str, TenantScope]:
        for name in value:
            if not name.strip():
                raise ValueError("a tenant name is empty")
        return value


class PolicySet:
    """Validated policies; `resolve` merges default, tenant and app."""

    def __init__(self, document: PolicyFile, source: str = "<policy>") -> None:
        self.document = document
        self.source = source

    def resolve(self, tenant: str, app: str | None = None) -> dict[str, dict[str, Any]]:
        """`{filter name: options}` for enabled filters, ready for the gateway."""
        scopes: list[Scope] = [self.document.default]
        found = self.document.tenants.get(tenant)
        if found is not None:
            scopes.append(found)
            if app is not None and app in found.apps:
                scopes.append(found.apps[app])
        merged: dict[str, dict[str, Any]] = {}
        for scope in scopes:
            for name, rule in scope.filters.items():
                merged[name] = {**merged.get(name, {}), **rule.model_dump(exclude_unset=True)}
        return {
            name: {k: v for k, v in options.items() if k != "enabled"}
            for name, options in merged.items()
            if options.get("enabled", True)
        }

    def tenant_filters(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every tenant's resolved filters (the gateway's `serve.tenant_filters` shape)."""
        return {tenant: self.resolve(tenant) for tenant in self.document.tenants}


def parse_policies(
    data: Any, source: str = "<policy>", known_filters: Iterable[str] = ()
) -> PolicySet:
    """Validate a policy document (already parsed YAML).

    Args:
        data: the mapping read from YAML.
        source: where it came from, for error messages.
        known_filters: filter names besides the built-ins (e.g. `FILTERS.names()`).

    Raises:
        InvalidPolicy: naming the failing path, the value and the fix.
    """
    if not isinstance(data, dict):
        raise InvalidPolicy(
            f"Policy {source} must be a mapping with `default` and/or `tenants`, "
            f"got {type(data).__name__}.",
            hint="Start from the example in docs/security.md.",
        )
    try:
        document = PolicyFile.model_validate(data)
    except ValidationError as exc:
        problem = first_problem(exc)
        where = problem.where
        raise InvalidPolicy(
            f"Policy {source}: {where or 'document'} is invalid: {problem.message} "
            f"(got {problem.value!r}).",
            hint="Fix that entry; docs/security.md lists each filter's options.",
            path=where,
        ) from None
    policies = PolicySet(document, source)
    _check_filters(policies, set(BUILTIN_FILTERS) | set(known_filters))
    return policies


def load_policies(path: Path, known_filters: Iterable[str] = ()) -> PolicySet:
    """Read and validate a YAML policy file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidPolicy(
            f"Policy file {path} cannot be read: {exc.strerror}.",
            hint="Check `security.policy_file` in strata.yaml.",
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidPolicy(
            f"Policy file {path} is not valid YAML: {exc}", hint="Fix the YAML syntax."
        ) from exc
    return parse_policies(data, str(path), known_filters)


def _scopes(policies: PolicySet) -> Iterable[tuple[str, Scope]]:
    yield "default", policies.document.default
    for tenant, scope in policies.document.tenants.items():
        yield f"tenants.{tenant}", scope
        for app, app_scope in scope.apps.items():
            yield f"tenants.{tenant}.apps.{app}", app_scope


def _check_filters(policies: PolicySet, known: set[str]) -> None:
    for where, scope in _scopes(policies):
        for name, rule in scope.filters.items():
            if name not in known:
                raise InvalidPolicy(
                    f"Policy {policies.source}: {where}.filters names unknown filter {name!r}.",
                    hint=f"Known filters: {', '.join(sorted(known))} (`strata plugins ls`).",
                )
            allowed = BUILTIN_FILTERS.get(name)
            extra = set(rule.model_extra or {}) | ({"mode"} if rule.mode else set())
            unknown = sorted(extra - allowed - COMMON_OPTIONS) if allowed is not None else []
            if unknown:
                raise InvalidPolicy(
                    f"Policy {policies.source}: {where}.filters.{name} has unknown option(s) "
                    f"{unknown}.",
                    hint=f"Options of {name!r}: {', '.join(sorted(allowed or ()))}, enabled, fail.",
                )
    _check_pseudonyms(policies)


def _check_pseudonyms(policies: PolicySet) -> None:
    """Pseudonyms are only restored by `pii-output`: refuse a policy that would lose them."""
    tenants = list(policies.document.tenants) or ["*"]
    for tenant in tenants:
        scope = policies.document.tenants.get(tenant)
        for app in [None, *(scope.apps if scope else {})]:
            filters = policies.resolve(tenant, app)
            if filters.get("pii", {}).get("mode") == "pseudonym" and "pii-output" not in filters:
                where = f"tenant {tenant!r}" + (f", app {app!r}" if app else "")
                raise InvalidPolicy(
                    f"Policy {policies.source}: {where} redacts with pseudonyms but does not run "
                    "`pii-output`, so the names would never be restored.",
                    hint="Add `pii-output: {}` to its filters, or use mode mask or hash.",
                )
