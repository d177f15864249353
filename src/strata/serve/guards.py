"""The built-in security filters: `pii` and `injection` (pre), `pii-output` and `deny-list` (post).

Each is created by a factory `create_*(options, runtime)` registered in `strata.serve.filters`;
options come from the tenant's policy (`strata.security.policy`). Every filter honours `fail`:
`closed` (default) blocks when the filter itself errors, `open` lets the text through; both
verdicts say so for the audit log. Streamed output goes through `strata.security.stream`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from strata.models.runtime import ModelRuntime
from strata.security.errors import InvalidPiiOptions
from strata.security.filters import FilterContext, Phase, Verdict
from strata.security.injection import DEFAULT_MODEL, THRESHOLD_METRIC, InjectionDetector
from strata.security.pii import (
    ALL_KINDS,
    PLACEHOLDER,
    REDACT_MODES,
    PiiEntity,
    PiiOptions,
    Pseudonyms,
    RedactMode,
    detect,
    redact,
)

log = logging.getLogger(__name__)
PSEUDONYMS_KEY = "pii.pseudonyms"
# Errors already logged as warnings: a filter that fails on every request (its model is not
# trained yet) warns once per process; the repeats go to debug, and every verdict still says it.
_WARNED: set[tuple[str, str, str]] = set()
_WARNED_CAP = 1000


def _fail_safe(name: str, fail: str, check: Callable[[], Verdict]) -> Verdict:
    """Run a check; on an unexpected error, answer per the fail mode instead of raising."""
    try:
        return check()
    except Exception as exc:  # the policy decides: fail open or closed, never a 500
        _log_failure(name, fail, exc)
        return Verdict(name, fail == "open", f"filter error, failed {fail}: {exc}")


def _log_failure(name: str, fail: str, exc: Exception) -> None:
    """Warn the first time a filter fails with this error; log the repeats at debug level."""
    key = (name, fail, str(exc))
    if key in _WARNED:
        log.debug("security filter %s failed (%s) again: %s", name, fail, exc)
        return
    if len(_WARNED) >= _WARNED_CAP:
        _WARNED.clear()
    _WARNED.add(key)
    log.warning(
        "security filter %s failed (%s): %s (repeats of this error are logged at debug level; "
        "every verdict in the audit log still records it)",
        name,
        fail,
        exc,
    )


def _pii_options(options: Mapping[str, Any]) -> tuple[PiiOptions, RedactMode]:
    mode = str(options.get("mode", "mask"))
    if mode not in REDACT_MODES:
        raise InvalidPiiOptions(
            f"PII filter mode {mode!r} is not valid.", hint=f"Use one of {', '.join(REDACT_MODES)}."
        )
    entities = frozenset(options.get("entities") or ALL_KINDS)
    return PiiOptions(entities, float(options.get("min_score", 0.5))), mode  # type: ignore[return-value]


def _summary(entities: list[PiiEntity]) -> str:
    kinds = sorted({e.kind for e in entities})
    return "redacted " + ", ".join(f"{sum(e.kind == k for e in entities)} {k}" for k in kinds)


def pseudonyms(context: FilterContext) -> Pseudonyms:
    """The request's reversible pseudonyms (made on first use)."""
    found = context.state.setdefault(PSEUDONYMS_KEY, Pseudonyms())
    assert isinstance(found, Pseudonyms)
    return found


class PiiFilter:
    """`pii` (pre) redacts PII in the input; `pii-output` (post) redacts leaks and restores."""

    def __init__(self, options: Mapping[str, Any], phase: Phase) -> None:
        self.name = "pii" if phase == "pre" else "pii-output"
        self.phase: Phase = phase
        self.rewrites = True
        self.pii, self.mode = _pii_options(options)
        if phase == "post" and self.mode == "pseudonym":
            self.mode = "mask"  # a leak in the output has no request to be restored in
        self.salt = str(options.get("salt", ""))
        self.fail = str(options.get("fail", "closed"))

    def check(self, text: str, context: FilterContext) -> Verdict:
        """Redact (and in the output, restore this request's pseudonyms)."""
        return _fail_safe(self.name, self.fail, lambda: self._check(text, context))

    def _check(self, text: str, context: FilterContext) -> Verdict:
        found = detect(text, self.pii)
        names = pseudonyms(context)
        out = redact(text, found, self.mode, salt=self.salt, pseudonyms=names) if found else text
        if self.phase == "post" and names.by_placeholder:
            out = names.restore(out)
        reason = _summary(found) if found else "no PII found"
        return Verdict(self.name, True, reason, text=out if out != text else None)

    def safe_cut(self, text: str, cut: int) -> int:
        """Where a streamed piece may end: never inside an entity or a placeholder."""
        for entity in detect(text, self.pii):
            if entity.start < cut < entity.end:
                cut = entity.start
        opening = text.rfind("<", 0, cut)
        if opening >= 0 and ">" not in text[opening:cut] and cut - opening < 32:
            cut = opening
        for match in PLACEHOLDER.finditer(text):
            if match.start() < cut < match.end():
                cut = match.start()
        return cut


class InjectionFilter:
    """`injection` (pre): blocks when the L2 detector's score reaches the threshold."""

    name = "injection"
    phase: Phase = "pre"
    rewrites = False  # judges the text as received: runs beside the rewriting filters

    def __init__(self, options: Mapping[str, Any], runtime: ModelRuntime) -> None:
        self.runtime = runtime
        self.model = str(options.get("model", DEFAULT_MODEL))
        self.threshold = options.get("threshold")
        self.fail = str(options.get("fail", "closed"))
        self._detector: InjectionDetector | None = None

    def detector(self) -> InjectionDetector:
        """The detector, loaded on first use (threshold from options or the model's metrics)."""
        if self._detector is None:
            record, classifier = self.runtime.classifier(self.model)
            threshold = self.threshold
            if threshold is None:
                threshold = record.metrics.get(THRESHOLD_METRIC, 0.5)
            self._detector = InjectionDetector(classifier, float(threshold))
        return self._detector

    def check(self, text: str, context: FilterContext) -> Verdict:
        """Score the text (in windows, so a long prompt cannot hide a payload at its end)."""
        return _fail_safe(self.name, self.fail, lambda: self._check(text))

    def _check(self, text: str) -> Verdict:
        detector = self.detector()
        score = detector.prompt_scores([text])[0]
        if score >= detector.threshold:
            reason = f"prompt injection suspected (score {score:.3f} >= {detector.threshold:.3f})"
            return Verdict(self.name, False, reason, score=score)
        return Verdict(self.name, True, "below threshold", score=score)


class DenyListFilter:
    """`deny-list` (post): blocks output containing any of the tenant's terms."""

    name = "deny-list"
    phase: Phase = "post"
    rewrites = False

    def __init__(self, options: Mapping[str, Any]) -> None:
        terms = [str(t) for t in options.get("terms") or [] if str(t).strip()]
        flags = 0 if options.get("case_sensitive") else re.IGNORECASE
        body = "|".join(re.escape(t.strip()) for t in sorted(terms, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags) if terms else None
        self.fail = str(options.get("fail", "closed"))

    def check(self, text: str, context: FilterContext) -> Verdict:
        """Block when a deny-listed term appears as a whole word or phrase."""
        return _fail_safe(self.name, self.fail, lambda: self._check(text))

    def _check(self, text: str) -> Verdict:
        found = self.pattern.search(text) if self.pattern else None
        if found:
            return Verdict(self.name, False, f"deny-listed term {found.group()!r}")
        return Verdict(self.name, True, "no deny-listed term")


def create_pii(options: Mapping[str, Any], runtime: ModelRuntime) -> PiiFilter:
    """The `pii` pre-filter: options `mode` (mask|hash|pseudonym), `entities`, `salt`."""
    return PiiFilter(options, "pre")


def create_pii_output(options: Mapping[str, Any], runtime: ModelRuntime) -> PiiFilter:
    """The `pii-output` post-filter: redacts leaked PII, restores the request's pseudonyms."""
    return PiiFilter(options, "post")


def create_injection(options: Mapping[str, Any], runtime: ModelRuntime) -> InjectionFilter:
    """The `injection` pre-filter: options `model` (default l2/injection-detector), `threshold`."""
    return InjectionFilter(options, runtime)


def create_deny_list(options: Mapping[str, Any], runtime: ModelRuntime) -> DenyListFilter:
    """The `deny-list` post-filter: options `terms` (list), `case_sensitive`."""
    return DenyListFilter(options)
