"""App specs: validation errors name the step and the field; references resolve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strata.apps import InvalidAppSpec, load_app, parse_app
from strata.apps.refs import evaluate, resolve

KNOWN = {"template", "route", "classify"}


def _spec(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "demo", "input": {"text": {}}, "steps": list(steps), **extra}


def _t(step_id: str, **params: Any) -> dict[str, Any]:
    return {"id": step_id, "uses": "template", "with": {"template": "x", **params}}


def test_a_valid_spec_builds_its_dag(tmp_path: Path) -> None:
    file = tmp_path / "app.yaml"
    file.write_text(
        "name: demo\ninput: {text: {type: string}}\nsteps:\n"
        "  - {id: a, uses: template, with: {template: '{{ t }}', t: '${input.text}'}}\n"
        "  - {id: b, uses: template, with: {template: x}}\n"
        "  - {id: c, uses: template, when: \"steps.a.text == 'x'\",\n"
        "     with: {template: '${steps.b.text}'}}\n"
        "outputs: {out: '${steps.c.text}'}\n"
    )
    spec = load_app(file, known_steps=KNOWN)
    assert [s.depends_on() for s in spec.steps] == [set(), set(), {"a", "b"}]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec({"id": "a", "uses": "nope"}), r'step "a", field "uses": no step plugin \'nope\''),
        (_spec(_t("a", v="${steps.b.text}"), _t("b")), r'step "a": refers to step "b"'),
        (_spec(_t("a"), _t("a")), r'step "a": the id is used twice'),
        (_spec({"id": "Bad-Id", "uses": "template"}), r'step "Bad-Id", field "id"'),
        (_spec({"id": "a", "uses": "template", "timeout_s": -1}), r'step "a", field "timeout_s"'),
        (_spec({"id": "a", "uses": "template", "when": "input.text =="}), r'field "when"'),
        (_spec(_t("a", v="${input.other}")), r"\$\{input.other\} names an input field"),
        (_spec(_t("a"), outputs={"o": "${steps.z.text}"}), r'output "o": refers to unknown'),
        (_spec(_t("a"), extra=1), r'field "extra"'),
        ({"name": "demo", "steps": []}, r'field "steps"'),
    ],
)
def test_errors_name_the_step_and_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidAppSpec, match=message) as info:
        parse_app(spec, known_steps=KNOWN)
    assert info.value.hint


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: [unclosed")
    with pytest.raises(InvalidAppSpec, match="not valid YAML"):
        load_app(tmp_path / "bad.yaml")
    with pytest.raises(InvalidAppSpec, match="Cannot read app spec"):
        load_app(tmp_path / "missing.yaml")


def test_references_resolve_whole_values_and_interpolate() -> None:
    scope = {"input": {"text": "hi"}, "steps": {"a": {"items": [1, 2], "n": {"k": "v"}}}}
    assert resolve("${steps.a.items}", scope) == [1, 2]
    assert resolve("say ${input.text} ${steps.a.items}", scope) == "say hi [1, 2]"
    assert resolve({"x": ["${steps.a.n.k}", "${steps.a.items.1}"]}, scope) == {"x": ["v", 2]}
    assert resolve("${steps.missing.x}", scope) is None
    assert evaluate("steps.a.n.k == 'v'", scope)
    assert not evaluate("steps.skipped.route == 'faq'", {**scope, "steps": {"skipped": None}})
