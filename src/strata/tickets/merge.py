"""The duplicate rule: when a new report belongs to an open ticket instead of a new one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from strata.tickets.records import TicketRow
from strata.tickets.report import Report, utc
from strata.tickets.status import TRIAGE

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def _point(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    return (lat, lon) if lat is not None and lon is not None else None


@dataclass(frozen=True)
class MergeRule:
    """A report merges into an open ticket of the same event type and department (never triage)
    reported within `window` of the ticket's latest report and either within `distance_m` of the
    ticket's place, or, when either side has no coordinates, on the same street and district."""

    distance_m: float
    window: timedelta

    def mergeable(self, report: Report) -> bool:
        """Whether the report may merge at all (triage reports never do)."""
        return report.department != TRIAGE

    def distance(self, ticket: TicketRow, report: Report) -> float | None:
        """How far the report is from the ticket (0 for a street match), or None: no merge."""
        if ticket.event_type != report.event_type or ticket.department != report.department:
            return None
        if ticket.department == TRIAGE:
            return None
        if abs(utc(ticket.last_report_at) - report.reported_at) > self.window:
            return None
        here, there = _point(ticket.lat, ticket.lon), _point(report.lat, report.lon)
        if here is not None and there is not None:
            metres = haversine_m(*here, *there)
            return metres if metres <= self.distance_m else None
        same_place = _same(ticket.street, report.street) and _same(ticket.district, report.district)
        return 0.0 if same_place else None
