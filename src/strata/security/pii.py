"""PII: find e-mails, phones, cards, IBANs, China IDs, SSNs, IPs, names and places; redact them.

Structured kinds are confirmed by checksums or parsers (`pii_rules`); names and locations come from
Presidio over a spaCy model (`pii_ner`), loaded lazily and cached per process. Redaction masks
(`[EMAIL]`), hashes (`<EMAIL:3f2a...>`) or swaps in reversible pseudonyms (`<EMAIL_1>`) that
`Pseudonyms.restore` puts back, e.g. in the response to the same request.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from strata.security.errors import InvalidPiiOptions
from strata.security.pii_ner import NER_KINDS, find_names
from strata.security.pii_rules import STRUCTURED, find_structured

STRUCTURED_KINDS = frozenset(STRUCTURED)
NAME_KINDS = frozenset(NER_KINDS.values())
ALL_KINDS = STRUCTURED_KINDS | NAME_KINDS
RedactMode = Literal["mask", "hash", "pseudonym"]
REDACT_MODES = ("mask", "hash", "pseudonym")
PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")


@dataclass(frozen=True)
class PiiEntity:
    """One piece of PII found in a text."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PiiOptions:
    """Which kinds to look for, and how sure the name model must be.

    Args:
        entities: kinds to find (default: all of `ALL_KINDS`).
        min_score: the lowest NER score kept for persons and locations.
    """

    entities: frozenset[str] = ALL_KINDS
    min_score: float = 0.5

    def __post_init__(self) -> None:
        unknown = sorted(set(self.entities) - ALL_KINDS)
        if unknown:
            raise InvalidPiiOptions(
                f"Unknown PII entities {unknown}.",
                hint=f"Pick from: {', '.join(sorted(ALL_KINDS))}.",
                value=unknown,
            )
        if not 0.0 <= self.min_score <= 1.0:
            raise InvalidPiiOptions(
                f"PII min_score {self.min_score} is outside [0, 1].",
                hint="Use a number such as 0.5.",
            )


def detect(text: str, options: PiiOptions | None = None) -> list[PiiEntity]:
    """PII in `text`, in order, without overlaps (checksummed kinds win over names)."""
    opts = options or PiiOptions()
    spans = find_structured(text, opts.entities & STRUCTURED_KINDS)
    if opts.entities & NAME_KINDS:
        for span in find_names(text, opts.entities & NAME_KINDS, opts.min_score):
            if not any(span[1] < e and s < span[2] for _, s, e in spans):
                spans.append(span)
    held = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
    return [
        PiiEntity(kind, start, end, text[start:end])
        for kind, start, end in sorted(spans, key=lambda s: s[1])
        if not any(start < e and s < end for s, e in held)
    ]


@dataclass
class Pseudonyms:
    """Reversible placeholders for one request: the same value always gets the same one."""

    by_value: dict[str, str] = field(default_factory=dict)
    by_placeholder: dict[str, str] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of `value`, made on first sight (`<PERSON_1>`, `<PERSON_2>` ...)."""
        if value not in self.by_value:
            count = sum(1 for p in self.by_placeholder if p.startswith(f"<{kind.upper()}_"))
            made = f"<{kind.upper()}_{count + 1}>"
            self.by_value[value] = made
            self.by_placeholder[made] = value
        return self.by_value[value]

    def restore(self, text: str) -> str:
        """Put the original values back in place of known placeholders."""
        return PLACEHOLDER.sub(lambda m: self.by_placeholder.get(m.group(), m.group()), text)


def redact(
    text: str,
    entities: Iterable[PiiEntity],
    mode: RedactMode = "mask",
    *,
    salt: str = "",
    pseudonyms: Pseudonyms | None = None,
) -> str:
    """`text` with each entity replaced by a mask, a salted hash or a pseudonym."""
    if mode not in REDACT_MODES:
        raise InvalidPiiOptions(
            f"Unknown redaction mode {mode!r}.", hint=f"Use one of {', '.join(REDACT_MODES)}."
        )
    names = pseudonyms if pseudonyms is not None else Pseudonyms()
    parts: list[str] = []
    cursor = 0
    for entity in sorted(entities, key=lambda e: e.start):
        parts.append(text[cursor : entity.start])
        parts.append(_replacement(entity, mode, salt, names))
        cursor = entity.end
    parts.append(text[cursor:])
    return "".join(parts)


def _replacement(entity: PiiEntity, mode: RedactMode, salt: str, names: Pseudonyms) -> str:
    if mode == "mask":
        return f"[{entity.kind.upper()}]"
    if mode == "hash":
        digest = hashlib.sha256(f"{salt}{entity.text}".encode()).hexdigest()[:12]
        return f"<{entity.kind.upper()}:{digest}>"
    return names.placeholder(entity.kind, entity.text)


def column_tag(values: Iterable[object], min_share: float = 0.05) -> str | None:
    """The structured PII kind found in at least `min_share` of non-empty values, or None."""
    counts: Counter[str] = Counter()
    total = 0
    options = PiiOptions(entities=STRUCTURED_KINDS)
    for value in values:
        if value is None or not str(value).strip():
            continue
        total += 1
        counts.update({e.kind for e in detect(str(value), options)})
    if not total or not counts:
        return None
    kind, hits = counts.most_common(1)[0]
    return kind if hits / total >= min_share else None
