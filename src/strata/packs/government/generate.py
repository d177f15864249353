"""Harbourview (fictional) city reports, written deterministically from the lexicon.

`generate_reports` writes the pack's training data (committed as `data/reports.csv`, so installs
never run this); `stream_reports` writes a stream with known duplicate groups for the bench.
Regenerate the committed file with `python -m strata.packs.government.generate`.

The stream assumes the ticket step's merge rule (same event type within `merge_distance_m`, default
250 m, and `merge_window_minutes`, default 120): reports of one event lie within
`DUPLICATE_RADIUS_M` of its point and `DUPLICATE_SPREAD_MINUTES` of its first report, so any two
are at most 200 m and 100 minutes apart; hard negatives (distinct events of the same type) lie at
least `HARD_NEGATIVE_DISTANCE_M` away in the same window, or near the same point but at least
`HARD_NEGATIVE_GAP_MINUTES` later.

The stream's density is an assumption, stated here: `STREAM_REPORTS_PER_HOUR` (10) reports an hour
over the pack's map of about 125 km², roughly the per-area rate of a city that handles 80,000
reports a month over 1,000 km², so `n` reports span `n / 10` hours (at least three days); an
event lies within `STREET_EXTENT_M` of its street's reference point.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from strata.packs.government.grammar import Writer, load_lexicon
from strata.packs.government.places import Street, around, distance_m, scatter, streets
from strata.packs.government.taxonomy import load_taxonomy

SEED = 20260501
PER_TYPE = 300
DATA_FILE = Path(__file__).resolve().parent / "data" / "reports.csv"
COLUMNS = ("report_id", "text", "event_type", "department", "channel", "district", "street",
           "lat", "lon", "reported_at")  # fmt: skip
STREAM_COLUMNS = (*COLUMNS, "group_id", "hard_negative_of")
SENSOR_TYPES = frozenset({"waterlogging", "streetlight_outage", "manhole_cover", "noise"})
NIGHT_TYPES = frozenset({"noise", "streetlight_outage"})
STREAM_REPORTS_PER_HOUR = 10.0
STREET_EXTENT_M = 400.0
DUPLICATE_RADIUS_M = 100.0
DUPLICATE_SPREAD_MINUTES = 100
HARD_NEGATIVE_DISTANCE_M = (500.0, 900.0)
HARD_NEGATIVE_GAP_MINUTES = (240, 480)
_YEAR = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = ["Amara", "Tomasz", "Priya", "Declan", "Ines", "Kwame", "Sofia", "Bartholomew", "Mei",
         "Oluwaseun", "Hannah", "Rafael", "Siobhan", "Yusuf", "Greta", "Mateo", "Aisling", "Dev",
         "Lena", "Caspian", "Nadia", "Eamon", "Ottilie", "Jun"]  # fmt: skip
LAST = ["Okafor", "Lindqvist", "Marchetti", "Fairweather", "Quayle", "Nakamura", "Osei",
        "Penhaligon", "Varga", "Mbeki", "Thistlewood", "Castellano", "Abernethy", "Kowalczyk",
        "Rourke", "Delacroix", "Haverford", "Iyer", "Strand", "Balogun"]  # fmt: skip
Point = tuple[float, float]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example"]


def _voice(event_type: str, rng: random.Random) -> str:
    if event_type in SENSOR_TYPES:
        return rng.choices(["hotline", "app", "inspector", "sensor"], [30, 35, 20, 15])[0]
    return rng.choices(["hotline", "app", "inspector"], [35, 40, 25])[0]


def _moment(event_type: str, rng: random.Random) -> datetime:
    day = _YEAR + timedelta(days=rng.randrange(365))
    if event_type in NIGHT_TYPES and rng.random() < 0.7:
        hour = rng.choice([19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5])
    else:
        hour = rng.randrange(7, 22) if rng.random() < 0.85 else rng.randrange(24)
    return day + timedelta(hours=hour, minutes=rng.randrange(60))


def _context(street: Street, moment: datetime, rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    phone = rng.choice(["07700 900{n}", "020 7946 0{n}", "+44 20 7946 0{n}"])
    return {
        "street": street.name,
        "district": street.district,
        "time": f"{moment:%H:%M}",
        "date": f"{moment:%d/%m}",
        "person": f"{first} {last}",
        "phone": phone.format(n=rng.randrange(100, 1000)),
        "email": f"{first.lower()}.{last.lower()}{rng.randrange(10, 99)}@{rng.choice(DOMAINS)}",
    }


@dataclass(frozen=True)
class Sighting:
    """One report to write: what, in which voice, where and when."""

    event_type: str
    voice: str
    place: Street
    point: Point
    moment: datetime


class _Author:
    """Writes report rows from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.lexicon, self.table = rng, load_lexicon(), load_taxonomy()

    def row(self, seen: Sighting) -> dict[str, Any]:
        context = _context(seen.place, seen.moment, self.rng)
        text = Writer(self.lexicon, seen.event_type, self.rng, context).write(seen.voice)
        return {
            "report_id": "",
            "text": text,
            "event_type": seen.event_type,
            "department": self.table.event_types[seen.event_type].department,
            "channel": seen.voice,
            "district": seen.place.district,
            "street": seen.place.name,
            "lat": seen.point[0],
            "lon": seen.point[1],
            "reported_at": seen.moment.isoformat(),
        }


def _type_rows(event_type: str, per_type: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{event_type}")
    author, places, seen = _Author(rng), streets(), set()
    rows: list[dict[str, Any]] = []
    while len(rows) < per_type:
        place = rng.choice(places)
        point = scatter((place.lat, place.lon), rng, 150.0)
        sighting = Sighting(
            event_type, _voice(event_type, rng), place, point, _moment(event_type, rng)
        )
        row = author.row(sighting)
        if row["text"] not in seen:  # an exact repeat adds nothing to learn from; draw again
            seen.add(row["text"])
            rows.append(row)
    return rows


def generate_reports(per_type: int = PER_TYPE, seed: int = SEED) -> list[dict[str, Any]]:
    """`per_type` labelled reports of every event type, shuffled, with ids `HV-000001` ...

    The same arguments always give the same rows (each type draws from its own seeded stream).
    """
    rows = [r for t in load_lexicon().event_types for r in _type_rows(t, per_type, seed)]
    random.Random(seed).shuffle(rows)
    for number, row in enumerate(rows, start=1):
        row["report_id"] = f"HV-{number:06d}"
    return rows


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Rows as CSV text (header first, `\\n` line ends, minimal quoting)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _event(author: _Author, first: Sighting, size: int) -> list[dict[str, Any]]:
    """`size` reports of one event in different voices, near its point and after its start."""
    rng, kind = author.rng, first.event_type
    voices = ["hotline", "app", "inspector"] + (["sensor"] if kind in SENSOR_TYPES else [])
    rng.shuffle(voices)
    rows = []
    for i in range(size):
        late = timedelta(minutes=rng.randrange(DUPLICATE_SPREAD_MINUTES) if i else 0)
        near = scatter(first.point, rng, DUPLICATE_RADIUS_M)
        voice = voices[i % len(voices)]
        rows.append(author.row(Sighting(kind, voice, first.place, near, first.moment + late)))
    return rows


def _hard_negative(first: Sighting, rng: random.Random) -> Sighting:
    """A distinct event of the same type: far in space within the window, or near but later."""
    if rng.random() < 0.5:
        low, high = HARD_NEGATIVE_DISTANCE_M
        point = around(first.point, rng.uniform(low, high), rng.uniform(0, 2 * math.pi))
        moment = first.moment + timedelta(minutes=rng.randrange(-60, 61))
    else:
        point = scatter(first.point, rng, 40.0)
        moment = first.moment + timedelta(minutes=rng.randrange(*HARD_NEGATIVE_GAP_MINUTES))
    return Sighting(first.event_type, first.voice, first.place, point, moment)


def stream_reports(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` reports in time order over `n / STREAM_REPORTS_PER_HOUR` hours (at least three days),
    with known duplicate groups.

    Each row carries `group_id` (the true event) and `hard_negative_of` (the group of a nearby
    event of the same type it must not merge with, or ""). See the module docstring for the
    windows; ids are `S-000001` ... in time order.
    """
    rng = random.Random(f"stream:{seed}")
    author, places, kinds = _Author(rng), streets(), load_lexicon().event_types
    base = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    ids = (f"E-{number:05d}" for number in itertools.count(1))
    span_minutes = int(max(72.0, n / STREAM_REPORTS_PER_HOUR) * 60)
    while len(rows) < n:
        place = rng.choice(places)
        point = scatter((place.lat, place.lon), rng, STREET_EXTENT_M)
        start = base + timedelta(minutes=rng.randrange(span_minutes))
        first = Sighting(rng.choice(kinds), "", place, point, start)
        group = next(ids)
        size = rng.choices([1, 2, 3, 4], [45, 25, 18, 12])[0]
        rows += [
            {**r, "group_id": group, "hard_negative_of": ""} for r in _event(author, first, size)
        ]
        if rng.random() < 0.3:
            other = next(ids)
            twin = _event(author, _hard_negative(first, rng), rng.choice([1, 2]))
            rows += [{**r, "group_id": other, "hard_negative_of": group} for r in twin]
    rows = sorted(rows[:n], key=lambda r: (r["reported_at"], r["group_id"]))
    for number, row in enumerate(rows, start=1):
        row["report_id"] = f"S-{number:06d}"
    return rows


def main(argv: list[str] | None = None) -> None:
    """Write the pack's training data (default: the committed `data/reports.csv`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    parser.add_argument("--per-type", type=int, default=PER_TYPE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_csv(generate_reports(args.per_type, args.seed)), encoding="utf-8")


if __name__ == "__main__":
    main()


__all__ = [
    "COLUMNS",
    "DATA_FILE",
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_SPREAD_MINUTES",
    "HARD_NEGATIVE_DISTANCE_M",
    "HARD_NEGATIVE_GAP_MINUTES",
    "PER_TYPE",
    "SEED",
    "STREAM_COLUMNS",
    "STREAM_REPORTS_PER_HOUR",
    "STREET_EXTENT_M",
    "Sighting",
    "distance_m",
    "generate_reports",
    "main",
    "stream_reports",
    "to_csv",
]
