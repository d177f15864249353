"""Structured PII recognisers: a regex proposes, a checksum or parser confirms.

Each recogniser yields `(kind, start, end)` spans; `find_structured` merges them, preferring the
earlier kinds in `STRUCTURED` when spans overlap (a card number is not also a phone number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import phonenumbers

from strata.security.pii_checks import cn_id_ok, digits, iban_ok, ip_ok, luhn_ok, ssn_ok

Span = tuple[str, int, int]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")
_SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![0-9A-Fa-f:])")
_PHONE_HINT = re.compile(r"\d(?:[\s().-]*\d){6,}")
PHONE_REGIONS = ("US", "GB", "DE", "FR", "CN", "IN")


def _email(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        yield "email", m.start(), m.end()


def _card(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        if luhn_ok(digits(m.group())):
            yield "card", m.start(), m.end()


def _iban(text: str) -> Iterator[Span]:
    """The longest prefix of each candidate (cut at a space) that passes mod 97."""
    for m in _IBAN.finditer(text):
        candidate = m.group()
        spaces = [i for i in range(len(candidate) - 1, 14, -1) if candidate[i] == " "]
        cuts = [len(candidate), *spaces]
        for cut in cuts:
            if iban_ok(candidate[:cut].replace(" ", "")):
                yield "iban", m.start(), m.start() + cut
                break


def _cn_id(text: str) -> Iterator[Span]:
    for m in _CN_ID.finditer(text):
        if cn_id_ok(m.group()):
            yield "cn_id", m.start(), m.end()


def _ssn(text: str) -> Iterator[Span]:
    for m in _SSN.finditer(text):
        if ssn_ok(m.group(1) + m.group(3) + m.group(4)):
            yield "ssn", m.start(), m.end()


def _ip(text: str) -> Iterator[Span]:
    for rx in (_IPV4, _IPV6):
        for m in rx.finditer(text):
            found = m.group().rstrip(".")  # a sentence may end right after an address
            if ip_ok(found):
                yield "ip", m.start(), m.start() + len(found)


def _phone(text: str) -> Iterator[Span]:
    """International numbers (+CC ...) and national formats of the common regions."""
    if not _PHONE_HINT.search(text):
        return
    seen: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        matcher = phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID)
        for match in matcher:
            key = _unbracketed(text, match.start, match.end)
            if key not in seen:
                seen.add(key)
                yield "phone", *key


def _unbracketed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop an opening bracket the number does not close: "(07700 900123)" keeps its brackets."""
    if text[start] == "(" and ")" not in text[start:end]:
        start += 1
    return start, end


STRUCTURED: dict[str, Callable[[str], Iterator[Span]]] = {
    "email": _email,
    "iban": _iban,
    "cn_id": _cn_id,  # before cards: an 18-digit ID can pass Luhn by chance
    "card": _card,
    "ssn": _ssn,
    "ip": _ip,
    "phone": _phone,
}


def find_structured(text: str, kinds: frozenset[str]) -> list[Span]:
    """Non-overlapping structured spans of the requested kinds, in text order."""
    spans: list[Span] = []
    for kind, finder in STRUCTURED.items():
        if kind in kinds:
            spans.extend(s for s in finder(text) if not _overlaps(s, spans))
    return sorted(spans, key=lambda s: s[1])


def _overlaps(span: Span, taken: list[Span]) -> bool:
    return any(span[1] < end and start < span[2] for _, start, end in taken)
