"""The ticket status machine: open -> dispatched -> in_progress -> resolved, or rejected."""

from __future__ import annotations

from strata.tickets.errors import InvalidTicketInput, InvalidTransition

OPEN, DISPATCHED, IN_PROGRESS, RESOLVED, REJECTED = (
    "open",
    "dispatched",
    "in_progress",
    "resolved",
    "rejected",
)
STATUSES = (OPEN, DISPATCHED, IN_PROGRESS, RESOLVED, REJECTED)
ACTIVE = frozenset({OPEN, DISPATCHED, IN_PROGRESS})  # a report may still merge into these
TRIAGE = "triage"  # the department of reports no department was confident enough to take

TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (DISPATCHED, REJECTED),
    DISPATCHED: (IN_PROGRESS, REJECTED),
    IN_PROGRESS: (RESOLVED, REJECTED),
    RESOLVED: (),
    REJECTED: (),
}


def check_status(status: str) -> str:
    """A known status, or InvalidTicketInput listing the known ones."""
    if status not in TRANSITIONS:
        raise InvalidTicketInput(
            f"Status {status!r} is not a ticket status; statuses: {', '.join(STATUSES)}.",
            hint="Pass one of them, e.g. --status dispatched.",
        )
    return status


def check_transition(ticket: str, current: str, requested: str) -> None:
    """Raise InvalidTransition unless `current` may move to `requested`."""
    check_status(requested)
    allowed = TRANSITIONS.get(current, ())
    if requested in allowed:
        return
    choices = ", ".join(allowed) or "none (it is closed)"
    raise InvalidTransition(
        f"Ticket {ticket} is {current}; it cannot move to {requested}. Allowed from {current}: "
        f"{choices}.",
        hint=f"See its history: strata tickets show {ticket}",
        ticket=ticket,
        current=current,
        requested=requested,
    )
