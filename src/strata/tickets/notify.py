"""Tell a department about a new ticket: one JSON POST through the egress guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2

from strata.core.errors import StrataError
from strata.core.settings import SecuritySettings
from strata.security.egress import EgressClient
from strata.tickets.ticket import Ticket


@dataclass(frozen=True)
class Notice:
    """How a notification went: `ok`, and what the webhook answered or why it failed."""

    ok: bool
    detail: str


def payload(ticket: Ticket, event: str = "ticket.created") -> dict[str, Any]:
    """The JSON body a department's webhook receives."""
    return {"event": event, "ticket": ticket.to_dict()}


def notify(url: str, ticket: Ticket, security: SecuritySettings) -> Notice:
    """POST the ticket to `url`; never raises for a refused, failed or unanswered call."""
    try:
        with EgressClient(security) as client:
            response = client.post(url, json=payload(ticket))
    except StrataError as exc:  # the egress guard refused the address, size or time
        return Notice(False, f"POST {url} refused: {exc.message}")
    except httpx2.HTTPError as exc:
        return Notice(False, f"POST {url} failed: {type(exc).__name__}: {exc}")
    if response.status_code >= 300:
        return Notice(
            False, f"POST {url} answered HTTP {response.status_code}: {response.text[:200]}"
        )
    return Notice(True, f"POST {url} answered HTTP {response.status_code}")
