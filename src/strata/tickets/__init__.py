"""City event tickets: a routed report opens a ticket or merges into an open duplicate; tickets
move open -> dispatched -> in_progress -> resolved (or rejected), every change audited."""

from strata.tickets.errors import InvalidTicketInput, InvalidTransition, TicketNotFound
from strata.tickets.merge import MergeRule, haversine_m
from strata.tickets.report import Report, priority_rank
from strata.tickets.service import Tickets
from strata.tickets.status import STATUSES, TRANSITIONS, TRIAGE
from strata.tickets.store import Opened, TicketStore
from strata.tickets.ticket import Actor, Ticket, TicketEvent, parse_ticket_ref, ticket_ref

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "TRIAGE",
    "Actor",
    "InvalidTicketInput",
    "InvalidTransition",
    "MergeRule",
    "Opened",
    "Report",
    "Ticket",
    "TicketEvent",
    "TicketNotFound",
    "TicketStore",
    "Tickets",
    "haversine_m",
    "parse_ticket_ref",
    "priority_rank",
    "ticket_ref",
]
