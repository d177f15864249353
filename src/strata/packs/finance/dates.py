"""Dates in banking requests, absolute ("3 March", "2026-03-01", "03/03") or relative
("yesterday", "last Friday", "two days ago", "last week"), resolved against a reference date."""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    m: i
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for m in names
}  # fmt: skip
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3,
}  # fmt: skip
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
SLASHED = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?", re.I)
MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
AGO = re.compile(
    r"\b(\d+|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(days?|weeks?)\s+ago\b",
    re.I,
)
WEEKDAY = re.compile(rf"\b(?:(last|this|on)\s+)?({'|'.join(WEEKDAYS)})\b", re.I)
FIXED = (
    (re.compile(r"\bday before yesterday\b", re.I), 2),
    (re.compile(r"\byesterday\b", re.I), 1),
    (re.compile(r"\b(?:today|this morning|this afternoon|earlier today|tonight)\b", re.I), 0),
    (re.compile(r"\blast night\b", re.I), 1),
    (re.compile(r"\blast week\b", re.I), 7),
)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _past(candidate: date | None, reference: date) -> date | None:
    """A date without a year is the most recent one not after the reference."""
    if candidate is not None and candidate > reference:
        return _safe(candidate.year - 1, candidate.month, candidate.day)
    return candidate


def _absolute(text: str, reference: date) -> date | None:
    if match := ISO.search(text):
        return _safe(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := DAY_MONTH.search(text):
        month = MONTHS[match.group(2).lower()]
        return _past(_safe(reference.year, month, int(match.group(1))), reference)
    if match := MONTH_DAY.search(text):
        month = MONTHS[match.group(1).lower()]
        return _past(_safe(reference.year, month, int(match.group(2))), reference)
    if match := SLASHED.search(text):
        day, number, year = match.groups()
        full = reference.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
        found = _safe(full, int(number), int(day))  # day first, as Europe writes dates
        return _past(found, reference) if year is None else found
    return None


def _relative(text: str, reference: date) -> date | None:
    for pattern, days in FIXED:
        if pattern.search(text):
            return reference - timedelta(days=days)
    if match := AGO.search(text):
        raw = match.group(1).lower()
        count = int(raw) if raw.isdigit() else _COUNTS[raw]
        unit = 7 if match.group(2).lower().startswith("week") else 1
        return reference - timedelta(days=count * unit)
    if match := WEEKDAY.search(text):
        target = WEEKDAYS.index(match.group(2).lower())
        back = (reference.weekday() - target) % 7
        if back == 0 and (match.group(1) or "").lower() == "last":
            back = 7
        return reference - timedelta(days=back)
    return None


def resolve_date(text: str, reference: date) -> date | None:
    """The date a request talks about: an absolute date first, else a relative one."""
    return _absolute(text, reference) or _relative(text, reference)
