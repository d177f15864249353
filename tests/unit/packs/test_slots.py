"""Slot filling: amounts, currencies, dates (relative ones resolved), card digits, merchants."""

from __future__ import annotations

from datetime import date

import pytest

from strata.packs.finance.dates import resolve_date
from strata.packs.finance.evaluate import slot_accuracy
from strata.packs.finance.slots import amount_and_currency, card_digits, extract, merchant

SATURDAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", "2026-11-27"),
        ("the day before yesterday", "2026-11-26"),
        ("this morning", "2026-11-28"),
        ("3 days ago", "2026-11-25"),
        ("two weeks ago", "2026-11-14"),
        ("last Friday", "2026-11-27"),
        ("last Saturday", "2026-11-21"),
        ("on Monday", "2026-11-23"),
        ("on 3 March", "2026-03-03"),
        ("December 2nd", "2025-12-02"),
        ("on 25/11", "2026-11-25"),
        ("2026-01-31", "2026-01-31"),
    ],
)
def test_dates_resolve_against_the_reference(text: str, expected: str) -> None:
    found = resolve_date(text, SATURDAY)
    assert found is not None and found.isoformat() == expected


def test_no_date_is_none() -> None:
    assert resolve_date("my card does not work", SATURDAY) is None


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("I paid £20", 20.0, "GBP"),
        ("a fee of 2 euros", 2.0, "EUR"),
        ("EUR 1,299.00 pending", 1299.0, "EUR"),
        ("$5 twice", 5.0, "USD"),
        ("I topped up 200 yesterday", 200.0, None),
        ("can I hold yen", None, "JPY"),
        ("waited 3 days", None, None),
    ],
)
def test_amounts_and_currencies(text: str, amount: float | None, currency: str | None) -> None:
    assert amount_and_currency(text) == (amount, currency)


def test_card_digits_are_masked() -> None:
    assert card_digits("card ending 4242") == "****4242"
    assert card_digits("card ending in 0042") == "****0042"
    assert card_digits("the last four digits are 5521") == "****5521"
    assert card_digits("card ****3344") == "****3344"
    assert card_digits("I have 4242 reasons") is None


def test_merchants() -> None:
    assert merchant("Charged twice at Tesco") == "Tesco"
    assert merchant("a payment to uber eats") == "Uber Eats"
    assert merchant("a direct debit from Gym Central came out") == "Gym Central"
    assert merchant("at the ATM on Monday") is None


def test_the_journey_example() -> None:
    slots = extract("I was charged twice for the same coffee yesterday, card ending 4242", SATURDAY)
    assert slots.to_dict() == {
        "amount": None,
        "currency": None,
        "date": "2026-11-27",
        "card": "****4242",
        "merchant": None,
    }


def test_accuracy_on_the_authored_set() -> None:
    report = slot_accuracy()
    assert report["cases"] >= 40
    assert report["accuracy"] >= 0.95, report["misses"]
    assert report["exact_match"] >= 0.85, report["misses"]
