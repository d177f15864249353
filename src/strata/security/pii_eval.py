"""A generated, labelled PII set and per-entity precision/recall of the recognisers on it.

`generate_cases` builds sentences from templates with valid values (checksums computed), so the
gold spans are known exactly; the same set ships as `data/pii_eval.csv` for `strata security
eval pii` and the tests.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strata.security.pii import ALL_KINDS, detect

Gold = tuple[str, int, int]
FIRST = ["Maria", "John", "Aisha", "Wei", "Lukas", "Sofia", "Carlos", "Emily", "David", "Fatima"]
LAST = ["Garcia", "Smith", "Khan", "Zhang", "Müller", "Rossi", "Silva", "Johnson", "Brown", "Ali"]
CITIES = ["London", "Berlin", "Madrid", "Paris", "Chicago", "Toronto", "Sydney", "Mumbai", "Boston"]
DOMAINS = ["example.com", "mail.example.org", "bank.example.net", "city.example.gov"]
PHONES = [
    "+44 20 7946 0{n3}",
    "+1 415 555 0{n3}",
    "(212) 555-0{n3}",
    "+49 30 901820{n2}",
    "+33 1 42 68 53 {n2}",
    "+86 138 0013 8{n3}",
    "+91 98765 432{n2}",
    "+61 2 9374 4{n3}",
    "020 7946 0{n3}",
    "+34 912 345 6{n2}",
]
TEMPLATES = [
    "Please contact {person} at {email} about the invoice.",
    "Call me on {phone} or write to {email}.",
    "My card number is {card} and it expires next year.",
    "Transfer the refund to {iban}, account holder {person}.",
    "The applicant's resident ID is {cn_id}, born in {location}.",
    "Customer SSN {ssn} was verified by the branch in {location}.",
    "Login attempts came from {ip} and {ip} last night.",
    "{person} moved from {location} to {location} last spring.",
    "Card {card}, phone {phone}, e-mail {email}.",
    "IBAN: {iban}; ID: {cn_id}; SSN: {ssn}.",
    "Hello, this is {person} from {location}; my number is {phone}.",
    "The server at {ip} sent alerts to {email} overnight.",
]


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        total = 0
        for index, ch in enumerate(reversed(body + check)):
            value = int(ch) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def _card(rng: random.Random) -> str:
    number = _luhn_complete(rng.choice(["4", "51", "55", "37"]), 16, rng)
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    country, size = rng.choice([("DE", 18), ("FR", 23), ("ES", 20), ("NL", 14), ("IT", 23)])
    bban = "".join(str(rng.randrange(10)) for _ in range(size))
    if country == "NL":
        bban = "ABNA" + bban[4:]
    if country == "IT":
        bban = "X" + bban[1:]
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _cn_id(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    born = f"{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    body = rng.choice(["110105", "310101", "440305"]) + born + f"{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONES).format(
        n3=f"{rng.randrange(1000):03d}", n2=f"{rng.randrange(100):02d}"
    )


VALUES: dict[str, Callable[[random.Random], str]] = {
    "person": lambda r: f"{r.choice(FIRST)} {r.choice(LAST)}",
    "location": lambda r: r.choice(CITIES),
    "email": lambda r: (
        f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower()}{r.randrange(99)}"
        f"@{r.choice(DOMAINS)}".replace("ü", "u")
    ),
    "phone": _phone,
    "card": _card,
    "iban": _iban,
    "cn_id": _cn_id,
    "ssn": _ssn,
    "ip": _ip,
}


@dataclass(frozen=True)
class Case:
    """One labelled sentence."""

    text: str
    gold: list[Gold]


def _fill(template: str, rng: random.Random) -> Case:
    text, gold, rest = "", [], template
    while "{" in rest:
        before, _, tail = rest.partition("{")
        kind, _, rest = tail.partition("}")
        text += before
        value = VALUES[kind](rng)
        gold.append((kind, len(text), len(text) + len(value)))
        text += value
    return Case(text + rest, gold)


def generate_cases(count: int = 360, seed: int = 7) -> list[Case]:
    """`count` labelled sentences, the same for the same seed."""
    rng = random.Random(seed)
    return [_fill(TEMPLATES[i % len(TEMPLATES)], rng) for i in range(count)]


def shipped_path() -> Path:
    """The labelled set shipped with Strata."""
    return Path(__file__).parent / "data" / "pii_eval.csv"


def write_cases(cases: list[Case], path: Path) -> None:
    """Store cases as CSV: `text` and `entities` (JSON list of [kind, start, end])."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "entities"])
        writer.writerows([c.text, json.dumps(c.gold)] for c in cases)


def load_cases(path: Path | None = None) -> list[Case]:
    """Read a labelled set (the shipped one by default)."""
    with (path or shipped_path()).open(encoding="utf-8", newline="") as handle:
        return [
            Case(row["text"], [(k, int(s), int(e)) for k, s, e in json.loads(row["entities"])])
            for row in csv.DictReader(handle)
        ]


def evaluate(cases: list[Case]) -> dict[str, Any]:
    """Per-entity precision and recall (a span counts when it overlaps a gold span of its kind)."""
    stats = {kind: {"tp_pred": 0, "pred": 0, "tp_gold": 0, "gold": 0} for kind in sorted(ALL_KINDS)}
    for case in cases:
        found = [(e.kind, e.start, e.end) for e in detect(case.text)]
        for kind, start, end in found:
            stats[kind]["pred"] += 1
            stats[kind]["tp_pred"] += any(_hit(kind, start, end, g) for g in case.gold)
        for gold in case.gold:
            stats[gold[0]]["gold"] += 1
            stats[gold[0]]["tp_gold"] += any(_hit(*f, gold) for f in found)
    entities = {
        kind: {
            "support": s["gold"],
            "precision": round(s["tp_pred"] / s["pred"], 4) if s["pred"] else 1.0,
            "recall": round(s["tp_gold"] / s["gold"], 4) if s["gold"] else 1.0,
        }
        for kind, s in stats.items()
    }
    return {"cases": len(cases), "entities": entities}


def _hit(kind: str, start: int, end: int, gold: Gold) -> bool:
    return kind == gold[0] and start < gold[2] and gold[1] < end
