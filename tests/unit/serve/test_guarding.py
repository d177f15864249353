"""A tenant's filters: judging filters run beside the rewriting chain, on the text as received;
verdicts keep the policy's order; any rejection stops the request."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from strata.security.filters import FILTERS, FilterContext, Verdict
from strata.serve.errors import FilterRejected
from strata.serve.guarding import FilterPolicy


class Upper:
    """Rewrites: upper-cases the text."""

    name = "test-upper"
    phase = "pre"
    rewrites = True

    def __init__(self, options: Mapping[str, Any], runtime: Any) -> None:
        pass

    def check(self, text: str, context: FilterContext) -> Verdict:
        return Verdict(self.name, True, "upper", text=text.upper())


class Judge:
    """Judges only: remembers what it saw and on which thread; blocks texts with 'block'."""

    name = "test-judge"
    phase = "pre"
    rewrites = False
    seen: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, options: Mapping[str, Any], runtime: Any) -> None:
        pass

    def check(self, text: str, context: FilterContext) -> Verdict:
        Judge.seen.append((text, threading.current_thread().name))
        return Verdict(self.name, "block" not in text, "judged")


class Legacy:
    """A plugin that does not say whether it rewrites: treated as rewriting, run in order."""

    name = "test-legacy"
    phase = "pre"

    def __init__(self, options: Mapping[str, Any], runtime: Any) -> None:
        pass

    def check(self, text: str, context: FilterContext) -> Verdict:
        return Verdict(self.name, True, "legacy", text=text + "!")


@pytest.fixture(autouse=True)
def _plugins() -> None:
    FILTERS.register("test-upper", Upper, replace=True)
    FILTERS.register("test-judge", Judge, replace=True)
    FILTERS.register("test-legacy", Legacy, replace=True)
    Judge.seen.clear()


def _policy(*names: str) -> FilterPolicy:
    return FilterPolicy({"acme": {name: {} for name in names}}, runtime=None)  # type: ignore[arg-type]


def test_judges_see_the_text_as_received_on_a_worker_thread() -> None:
    policy = _policy("test-upper", "test-judge")
    verdicts: list[dict[str, Any]] = []

    out = policy.apply("pre", ["hello", "world"], FilterContext("acme", "r1"), verdicts)

    assert out == ["HELLO", "WORLD"]
    assert sorted(text for text, _ in Judge.seen) == ["hello", "world"]
    assert all(thread.startswith("strata-filter") for _, thread in Judge.seen)
    assert [v["filter"] for v in verdicts] == ["test-upper"] * 2 + ["test-judge"] * 2
    policy.close()
    assert policy.apply("pre", ["again"], FilterContext("acme", "r5"), []) == ["AGAIN"]
    policy.close()


def test_a_judge_rejection_stops_the_request() -> None:
    policy = _policy("test-upper", "test-judge")
    verdicts: list[dict[str, Any]] = []

    with pytest.raises(FilterRejected, match="test-judge"):
        policy.apply("pre", ["please block this"], FilterContext("acme", "r2"), verdicts)

    assert [v["allowed"] for v in verdicts] == [True, False]
    policy.close()


def test_filters_without_the_attribute_run_in_order_on_rewritten_text() -> None:
    policy = _policy("test-upper", "test-legacy")

    out = policy.apply("pre", ["hi"], FilterContext("acme", "r3"), [])

    assert out == ["HI!"]


class PostUpper(Upper):
    phase = "post"


class PostJudge(Judge):
    phase = "post"


def test_output_filters_run_in_order_on_the_rewritten_text() -> None:
    FILTERS.register("test-post-upper", PostUpper, replace=True)
    FILTERS.register("test-post-judge", PostJudge, replace=True)
    policy = _policy("test-post-upper", "test-post-judge")

    out = policy.apply("post", ["answer"], FilterContext("acme", "r6"), [])

    assert out == ["ANSWER"]
    assert Judge.seen == [("ANSWER", threading.current_thread().name)]
