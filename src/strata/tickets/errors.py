"""Errors of the tickets domain: unknown tickets, refused transitions, bad reports."""

from __future__ import annotations

from strata.core.errors import Conflict, InvalidInput, NotFound


class TicketNotFound(NotFound):
    """No ticket with that id, or none the caller may see."""

    code = "ticket_not_found"


class InvalidTransition(Conflict):
    """A status change the ticket's current status does not allow."""

    code = "invalid_transition"


class InvalidTicketInput(InvalidInput):
    """A ticket id, status, filter or update that fails validation."""

    code = "invalid_ticket_input"
