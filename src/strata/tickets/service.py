"""The tickets facade: open or merge a report and notify the department; update and read."""

from __future__ import annotations

import logging

from strata.core.catalog import Catalog
from strata.core.settings import SecuritySettings, TicketsSettings
from strata.tickets.errors import InvalidTransition
from strata.tickets.notify import notify
from strata.tickets.report import Report
from strata.tickets.status import DISPATCHED, OPEN
from strata.tickets.store import Opened, TicketStore, rule_from
from strata.tickets.ticket import Actor, Ticket

log = logging.getLogger(__name__)


class Tickets:
    """What the `ticket` step, the CLI and the HTTP routes do with tickets."""

    def __init__(
        self, catalog: Catalog, settings: TicketsSettings, security: SecuritySettings
    ) -> None:
        self.settings = settings
        self.security = security
        self.store = TicketStore(catalog, rule_from(settings))

    def submit(self, report: Report, actor: Actor, webhook: str | None = None) -> Opened:
        """Open or merge `report`; a new ticket is POSTed to its department's webhook.

        Args:
            webhook: the URL to notify; default `tickets.webhooks[department]`, else none.
        """
        opened = self.store.open(report, actor)
        url = webhook or self.settings.webhooks.get(report.department)
        if not opened.created or not url:
            return opened
        return Opened(self._notify(opened.ticket, url, actor), merged=False)

    def update(
        self,
        ticket_id: str,
        actor: Actor,
        *,
        status: str | None = None,
        department: str | None = None,
        note: str | None = None,
        visible_to: str | None = None,
    ) -> Ticket:
        """Move a ticket and/or reassign a triage ticket; the new department is notified when
        `tickets.webhooks` names its URL and the ticket is still open."""
        ticket = self.store.update(
            ticket_id, actor, status=status, department=department, note=note,
            visible_to=visible_to,
        )  # fmt: skip
        url = self.settings.webhooks.get(ticket.department)
        if department is not None and ticket.status == OPEN and url:
            ticket = self._notify(ticket, url, actor)
        return ticket

    def _notify(self, ticket: Ticket, url: str, actor: Actor) -> Ticket:
        notice = notify(url, ticket, self.security)
        ref = ticket.ticket_id
        if not notice.ok:
            # The ticket stays open and the failure is on its record; someone can dispatch it.
            log.warning("ticket %s: notification failed: %s", ref, notice.detail)
            return self.store.note_event(ref, "notify_failed", actor, notice.detail)
        try:
            return self.store.update(ref, actor, status=DISPATCHED, note=notice.detail)
        except InvalidTransition:  # someone moved it while the webhook answered
            return self.store.note_event(ref, "notified", actor, notice.detail)
