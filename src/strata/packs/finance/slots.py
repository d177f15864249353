"""Slot filling for banking requests: amounts, currencies, dates, card last digits and merchants.

Rules, not a model: every slot is a pattern a reviewer can read, and relative dates ("yesterday",
"last Friday", "3 days ago") resolve against a reference date the caller gives, so the same
request always fills the same slots.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from strata.packs.finance.dates import MONTHS, WEEKDAYS, resolve_date

SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN"}
WORDS = {
    "euro": "EUR", "euros": "EUR", "eur": "EUR",
    "dollar": "USD", "dollars": "USD", "bucks": "USD", "usd": "USD",
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP", "gbp": "GBP",
    "yen": "JPY", "franc": "CHF", "francs": "CHF", "zloty": "PLN", "zlotys": "PLN",
    "krona": "SEK", "kronor": "SEK", "krone": "NOK", "rupee": "INR", "rupees": "INR",
    "yuan": "CNY", "forint": "HUF", "dirham": "AED", "dirhams": "AED",
}  # fmt: skip
_CODE_TEXT = (
    "EUR USD GBP CHF PLN SEK NOK DKK CZK HUF RON BGN JPY CAD AUD NZD SGD HKD ILS TRY ZAR MXN "
    "AED SAR QAR THB INR CNY"
)
CODES = frozenset(_CODE_TEXT.split())
MERCHANTS = (
    "Amazon", "Uber", "Uber Eats", "Netflix", "Spotify", "Starbucks", "Tesco", "Apple",
    "Google", "eBay", "Airbnb", "Lidl", "Aldi", "IKEA", "McDonald's", "Costa", "Deliveroo",
    "PayPal", "Ryanair", "Booking.com", "Zara", "H&M", "Sainsbury's", "Shell", "Steam",
)  # fmt: skip

_NUMBER = r"\d{1,3}(?:[,\s]\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_SYMBOL = "|".join(re.escape(s) for s in SYMBOLS)
_WORD = "|".join(sorted(WORDS, key=len, reverse=True))
_CODE = "|".join(sorted(CODES))
AMOUNT_BEFORE = re.compile(rf"(?P<cur>{_SYMBOL}|\b(?:{_CODE})\b)\s?(?P<num>{_NUMBER})", re.I)
AMOUNT_AFTER = re.compile(
    rf"(?<![\w.])(?P<num>{_NUMBER})\s?(?P<cur>{_SYMBOL}|(?:{_WORD}|{_CODE})\b)", re.I
)
AMOUNT_BARE = re.compile(
    rf"\b(?:of|for|paid|charged|took|sent|withdrew|withdraw|transfer(?:red)?|top(?:ped)? up|"
    rf"refund of|received|only got|got)\s+(?P<num>{_NUMBER})\b(?!\s*(?:days?|weeks?|hours?|"
    rf"times|am|pm|th|st|nd|rd|%))",
    re.I,
)
CURRENCY_ALONE = re.compile(rf"{_SYMBOL}|\b(?:{_WORD})\b|\b(?:{_CODE})\b", re.I)
CARD = re.compile(
    r"(?:ending(?:\s+(?:in|with))?|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:are|is|of))?|"
    r"\*{2,}|x{2,}|card\s+(?:no\.?|number)?\s*[.*x]+)\s*:?\s*(?P<digits>\d{4})\b",
    re.I,
)
MERCHANT_AFTER = re.compile(
    r"\b(?:at|from|to|with|by)\s+(?P<name>(?:[A-Z][\w'&.-]*)(?:\s+[A-Z][\w'&.-]*){0,2})"
)
_NOT_MERCHANT = frozenset(
    {"I", "ATM", "Apple Pay", "Google Pay", "EEA", "SEPA", "SWIFT", "PIN", "IBAN", "Visa",
     "Mastercard", "Northwind", "The", "My", "It"}
    | {m.capitalize() for m in MONTHS} | {d.capitalize() for d in WEEKDAYS} | CODES
)  # fmt: skip


@dataclass(frozen=True)
class Slots:
    """What a request says: every field None when the request does not say it."""

    amount: float | None = None
    currency: str | None = None
    date: str | None = None
    card: str | None = None
    merchant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)


def _number(text: str) -> float:
    return float(re.sub(r"[,\s]", "", text))


def _currency(token: str) -> str:
    upper = token.strip().upper()
    return SYMBOLS.get(token.strip()) or WORDS.get(token.strip().lower()) or upper


def amount_and_currency(text: str) -> tuple[float | None, str | None]:
    """The first amount in the text, with its currency when one is written next to it."""
    for pattern in (AMOUNT_BEFORE, AMOUNT_AFTER):
        match = pattern.search(text)
        if match:
            return _number(match.group("num")), _currency(match.group("cur"))
    bare = AMOUNT_BARE.search(text)
    alone = CURRENCY_ALONE.search(text)
    currency = _currency(alone.group(0)) if alone else None
    return (_number(bare.group("num")) if bare else None), currency


def card_digits(text: str) -> str | None:
    """`****4242` for "card ending 4242", "last four digits 4242" or "****4242"."""
    match = CARD.search(text)
    return f"****{match.group('digits')}" if match else None


def merchant(text: str) -> str | None:
    """A known merchant named anywhere, else a capitalised name after at/from/to/with/by."""
    lowered = text.lower()
    known = [m for m in MERCHANTS if re.search(rf"(?<!\w){re.escape(m.lower())}(?!\w)", lowered)]
    if known:
        return max(known, key=len)
    for match in MERCHANT_AFTER.finditer(text):
        name = match.group("name").rstrip(".")
        if name not in _NOT_MERCHANT and name.split()[0] not in _NOT_MERCHANT:
            return name
    return None


def extract(text: str, reference: date) -> Slots:
    """Every slot of one request; relative dates resolve against `reference`."""
    amount, currency = amount_and_currency(text)
    when = resolve_date(text, reference)
    return Slots(
        amount=amount,
        currency=currency,
        date=when.isoformat() if when else None,
        card=card_digits(text),
        merchant=merchant(text),
    )
