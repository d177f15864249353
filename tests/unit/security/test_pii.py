"""PII recognisers, redaction modes and the labelled evaluation set."""

from __future__ import annotations

import pytest

from strata.security.errors import InvalidPiiOptions
from strata.security.pii import (
    STRUCTURED_KINDS,
    PiiOptions,
    Pseudonyms,
    column_tag,
    detect,
    redact,
)
from strata.security.pii_checks import cn_id_ok, iban_ok, luhn_ok, ssn_ok
from strata.security.pii_eval import evaluate, generate_cases, load_cases

STRUCTURED = PiiOptions(entities=STRUCTURED_KINDS)


def kinds(text: str, options: PiiOptions = STRUCTURED) -> list[tuple[str, str]]:
    return [(e.kind, e.text) for e in detect(text, options)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@example.com now", ("email", "jane.doe@example.com")),
        ("call +44 20 7946 0018 today", ("phone", "+44 20 7946 0018")),
        ("call (415) 555-0132 today", ("phone", "(415) 555-0132")),
        ("call +86 138 0013 8000 today", ("phone", "+86 138 0013 8000")),
        ("card 4111 1111 1111 1111 ok", ("card", "4111 1111 1111 1111")),
        ("card 5500-0000-0000-0004 ok", ("card", "5500-0000-0000-0004")),
        ("iban DE89 3704 0044 0532 0130 00 ok", ("iban", "DE89 3704 0044 0532 0130 00")),
        ("iban GB33BUKB20201555555555.", ("iban", "GB33BUKB20201555555555")),
        ("id 11010519491231002X ok", ("cn_id", "11010519491231002X")),
        ("ssn 123-45-6789 ok", ("ssn", "123-45-6789")),
        ("from 192.168.1.20 ok", ("ip", "192.168.1.20")),
        ("from 2001:db8::1.", ("ip", "2001:db8::1")),
    ],
)
def test_structured_kinds_are_found(text: str, expected: tuple[str, str]) -> None:
    assert kinds(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 fails Luhn",
        "iban DE89 3704 0044 0532 0130 01 fails mod 97",
        "id 110105194912310021 has a wrong check digit",
        "ssn 000-12-3456 and 666-12-3456 are never issued",
        "version 1.2.3.4000 is not an address, nor is 999.1.1.1",
        "the meeting is at 12:30:45 in room 5",
    ],
)
def test_invalid_values_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("0000000000000000")
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE00370400440532013000")
    assert cn_id_ok("11010519491231002X") and not cn_id_ok("11010519491331002X")
    assert ssn_ok("123456789") and not ssn_ok("923456789")


def test_names_and_places_come_from_the_ner_model() -> None:
    found = kinds("I am John Smith and I live in Berlin.", PiiOptions())
    assert ("person", "John Smith") in found and ("location", "Berlin") in found


def test_role_words_and_brackets_stay_outside_the_spans() -> None:
    text = "Caller Amara Okafor (07700 900123) says a tree fell. Call (020) 7946 0018."
    found = detect(text, PiiOptions())
    assert redact(text, found, "mask").startswith("Caller [PERSON] ([PHONE]) says")
    assert ("phone", "(020) 7946 0018") in kinds(text, PiiOptions())


def test_redaction_modes() -> None:
    text = "Write to ann@example.com or bob@example.com, then ann@example.com again."
    found = detect(text, STRUCTURED)
    assert redact(text, found, "mask").count("[EMAIL]") == 3
    hashed = redact(text, found, "hash", salt="s")
    assert "ann@" not in hashed and hashed.count("<EMAIL:") == 3
    assert hashed != redact(text, found, "hash", salt="t")
    names = Pseudonyms()
    swapped = redact(text, found, "pseudonym", pseudonyms=names)
    assert swapped.count("<EMAIL_1>") == 2 and "<EMAIL_2>" in swapped
    assert names.restore(swapped) == text
    assert names.restore("unknown <EMAIL_9> stays") == "unknown <EMAIL_9> stays"


def test_placeholders_are_not_detected_again() -> None:
    assert detect("Dear <PERSON_1>, your <EMAIL_1> is set.", PiiOptions()) == []


def test_bad_options_name_the_value() -> None:
    with pytest.raises(InvalidPiiOptions, match="passport"):
        PiiOptions(entities=frozenset({"passport"}))
    with pytest.raises(InvalidPiiOptions, match="blur"):
        redact("x", [], "blur")  # type: ignore[arg-type]


def test_column_tag_needs_a_share_of_hits() -> None:
    assert column_tag([f"user{i}@example.com" for i in range(20)]) == "email"
    assert column_tag(["plain text"] * 100 + ["a@example.com"]) is None
    assert column_tag([None, "", " "]) is None


def test_shipped_set_matches_the_generator() -> None:
    assert [c.text for c in load_cases()] == [c.text for c in generate_cases()]


def test_structured_recall_is_at_least_95_percent() -> None:
    report = evaluate(load_cases()[:120])
    for kind in sorted(STRUCTURED_KINDS):
        assert report["entities"][kind]["recall"] >= 0.95, (kind, report["entities"][kind])
