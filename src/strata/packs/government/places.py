"""Harbourview (fictional): districts, streets and their coordinates, and distances between points.

The city lies in an invented bounding box in the open Atlantic (47.20-47.30 N, 8.60-8.45 W), so no
coordinate points at a real street. Each street is a point; reports on it scatter around it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

EARTH_M_PER_DEG = 111_320.0
BOUNDS = {"lat": (47.20, 47.30), "lon": (-8.60, -8.45)}

DISTRICTS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "Old Quay": (47.268, -8.512, ("Ferry Street", "Anchor Lane", "Ropewalk", "Customs House Street", "Wharf Road", "Gull Street")),  # noqa: E501
    "Wharfside": (47.262, -8.488, ("Wharfside Quay", "Harbour Boulevard", "Dock Street", "Chandlers Row", "Marina Way", "Net Loft Lane")),  # noqa: E501
    "Lanternhill": (47.281, -8.523, ("Lantern Hill Road", "Beacon Crescent", "Signal Walk", "Watchman Street", "Chapel Walk")),  # noqa: E501
    "Millbrook": (47.245, -8.538, ("Mill Lane", "Millbrook Green", "Weir Road", "Station Road", "Tanner's Row")),  # noqa: E501
    "Kestrel Park": (47.290, -8.548, ("Kestrel Road", "Orchard Rise", "Park Avenue", "Heron Close", "Falconer Street")),  # noqa: E501
    "Saltmarsh": (47.226, -8.505, ("Saltmarsh Lane", "Reedbed Road", "Sea Wall Parade", "Tide Street", "Samphire Close")),  # noqa: E501
    "Northgate": (47.291, -8.503, ("Northgate Parade", "Market Square", "Guildhall Street", "Cooper's Yard", "Bell Street")),  # noqa: E501
    "Copperfield": (47.255, -8.567, ("Copperfield Avenue", "Foundry Road", "Smelter Lane", "Kiln Street", "Ingot Close")),  # noqa: E501
    "Eastmere": (47.270, -8.463, ("Eastmere Road", "Mere Bank", "Boathouse Lane", "Rowan Terrace", "Lake View")),  # noqa: E501
    "Fenwick Heights": (47.234, -8.580, ("Fenwick High Street", "Quarry Road", "Summit Way", "Ridge Lane", "Windmill Hill")),  # noqa: E501
}  # fmt: skip


@dataclass(frozen=True)
class Street:
    """A street of the fictional city and the point it is filed under."""

    name: str
    district: str
    lat: float
    lon: float


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `north_m` metres north and `east_m` metres east of (lat, lon)."""
    dlat = north_m / EARTH_M_PER_DEG
    dlon = east_m / (EARTH_M_PER_DEG * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two (lat, lon) points (equirectangular; exact enough within a city)."""
    mean = math.radians((a[0] + b[0]) / 2)
    north = (b[0] - a[0]) * EARTH_M_PER_DEG
    east = (b[1] - a[1]) * EARTH_M_PER_DEG * math.cos(mean)
    return math.hypot(north, east)


def streets() -> list[Street]:
    """Every street, placed on a ring around its district's centre (fixed, no randomness)."""
    found = []
    for d_index, (district, (lat, lon, names)) in enumerate(DISTRICTS.items()):
        for s_index, name in enumerate(names):
            angle = 2 * math.pi * s_index / len(names) + d_index
            radius = 250.0 + 140.0 * s_index
            s_lat, s_lon = offset(lat, lon, radius * math.sin(angle), radius * math.cos(angle))
            found.append(Street(name, district, round(s_lat, 6), round(s_lon, 6)))
    return found


def around(point: tuple[float, float], distance: float, angle: float) -> tuple[float, float]:
    """The point `distance` metres from `point` in direction `angle` (radians from east),
    rounded to 6 decimals (about 0.1 m)."""
    lat, lon = offset(point[0], point[1], distance * math.sin(angle), distance * math.cos(angle))
    return round(lat, 6), round(lon, 6)


def scatter(point: tuple[float, float], rng: random.Random, radius_m: float) -> tuple[float, float]:
    """A point within `radius_m` of `point`, uniformly over the disc."""
    return around(point, radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi))


__all__ = ["BOUNDS", "DISTRICTS", "Street", "around", "distance_m", "offset", "scatter", "streets"]
