"""Security policies: merging default, tenant and app; clear errors for bad entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from strata.security.errors import InvalidPolicy
from strata.security.policy import load_policies, parse_policies

POLICY = """
default:
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
          pii: {entities: [email, phone]}
  globex:
    filters:
      injection: {fail: open}
"""


def test_resolve_merges_default_tenant_and_app(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    policies = load_policies(path)
    assert policies.resolve("nobody") == {
        "pii": {"mode": "mask"},
        "injection": {"threshold": 0.9, "fail": "closed"},
    }
    acme = policies.resolve("acme", "claims-bot")
    assert "injection" not in acme
    assert acme["pii"] == {"mode": "pseudonym", "entities": ["email", "phone"]}
    assert acme["deny-list"] == {"terms": ["project falcon"]}
    assert policies.resolve("globex")["injection"] == {"threshold": 0.9, "fail": "open"}
    assert set(policies.tenant_filters()) == {"acme", "globex"}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"default": {"filters": {"injection": {"threshold": 1.5}}}}, "threshold"),
        ({"default": {"filters": {"pii": {"fail": "sometimes"}}}}, "fail"),
        ({"default": {"filters": {"virus-scan": {}}}}, "unknown filter 'virus-scan'"),
        ({"default": {"filters": {"deny-list": {"word": ["x"]}}}}, "unknown option"),
        ({"tenant": {}}, "tenant"),
        ({"default": {"filters": {"pii": {"mode": "pseudonym"}}}}, "pii-output"),
        (["not", "a", "mapping"], "must be a mapping"),
    ],
)
def test_bad_policies_are_refused_with_the_path(data: object, match: str) -> None:
    with pytest.raises(InvalidPolicy, match=match):
        parse_policies(data)


def test_third_party_filters_may_be_named() -> None:
    policies = parse_policies(
        {"default": {"filters": {"toxicity": {"level": 3}}}}, "p", ["toxicity"]
    )
    assert policies.resolve("any") == {"toxicity": {"level": 3}}


def test_unreadable_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match="cannot be read"):
        load_policies(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("default: [", encoding="utf-8")
    with pytest.raises(InvalidPolicy, match="not valid YAML"):
        load_policies(bad)
