"""SLA targets: deadlines per priority, a reminder in the thread, limited alerts at a breach."""

# The clock starts when the shop opens the ticket and counts support hours only, except for
# `wall_clock_priorities` (critical by default: handled on weekends and at night, so their clock
# never stops). Deciding what is due is pure (`SlaPolicy.due_alerts`); `SlaMonitor` applies it.

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.config import SlaConfig
from bot.context import Context
from bot.hours import Calendar, SupportHours, WallClock
from bot.lifecycle import Status
from bot.outbox import announce, enqueue_post
from bot.snapshots import agent_page_url
from bot.ticketing import add_message
from bot.vocabulary import Author, Priority, Source
from storage import jobs
from storage import repositories as repo
from storage.models import SlaAlert, Ticket

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
REMINDER = "reminder"
BREACH = "breach"
LABELS = {FIRST_RESPONSE: "first response", RESOLUTION: "resolution"}
# Support holds the ball in these statuses; a ticket waiting for the shop raises no alerts.
WATCHED = (Status.QUEUED, Status.OPEN)
SLA_AUTHOR = "Pomoc SLA"
REMINDER_TEXT = (
    "SLA reminder: the {label} target of this {priority} ticket is due at {due} ({left} min left)."
)
BREACH_TEXT = (
    "SLA breach{repeat}: ticket #{id} “{title}” ({department}, {priority}) missed its {label} "
    "target (due {due}). {url}"
)


@dataclass(frozen=True)
class Alert:
    """An SLA alert that is due now."""

    ticket_id: int
    kind: str
    stage: str
    seq: int
    deadline: datetime

    @property
    def key(self) -> str:
        return f"sla:{self.ticket_id}:{self.kind}:{self.stage}:{self.seq}"


class SlaPolicy:
    def __init__(self, config: SlaConfig, hours: SupportHours) -> None:
        self.config = config
        self.hours = hours
        self._wall = WallClock()

    def calendar(self, priority: Priority) -> Calendar:
        return self._wall if priority in self.config.wall_clock_priorities else self.hours

    def target_minutes(self, kind: str, priority: Priority) -> int | None:
        """The target for `priority`, falling back to `normal`; None means no target."""
        table = (
            self.config.first_response_minutes
            if kind == FIRST_RESPONSE
            else self.config.resolution_minutes
        )
        return table.get(priority, table.get(Priority.NORMAL))

    def deadline(self, ticket: Ticket, kind: str) -> datetime | None:
        minutes = self.target_minutes(kind, ticket.priority)
        if minutes is None:
            return None
        return self.calendar(ticket.priority).deadline(ticket.created_at, minutes)

    def due_alerts(self, ticket: Ticket, sent: list[SlaAlert], *, now: datetime) -> list[Alert]:
        """What to send for `ticket` now, given the alerts already sent (oldest first)."""
        alerts: list[Alert] = []
        ticket_id = repo.row_id(ticket)
        for kind in (FIRST_RESPONSE, RESOLUTION):
            if kind == FIRST_RESPONSE and ticket.first_response_at is not None:
                continue
            deadline = self.deadline(ticket, kind)
            if deadline is None:
                continue
            if now >= deadline:
                breach = self._breach(ticket, kind, deadline, sent, now=now)
                if breach is not None:
                    # One breach alert per ticket and check: the per-ticket limit stays exact.
                    return [*alerts, breach]
            elif not any(a.kind == kind and a.stage == REMINDER for a in sent):
                left = self.calendar(ticket.priority).support_minutes_between(now, deadline)
                # Never at the start of a short target: a reminder that early is only noise.
                target = self.target_minutes(kind, ticket.priority) or 0
                if left <= min(self.config.remind_before_minutes, target / 2):
                    alerts.append(Alert(ticket_id, kind, REMINDER, 1, deadline))
        return alerts

    def _breach(
        self, ticket: Ticket, kind: str, deadline: datetime, sent: list[SlaAlert], *, now: datetime
    ) -> Alert | None:
        breaches = [a for a in sent if a.stage == BREACH]
        if len(breaches) >= self.config.max_alerts_per_ticket:
            return None
        own = [a for a in breaches if a.kind == kind]
        if own and now - own[-1].created_at < timedelta(minutes=self.config.realert_minutes):
            return None
        return Alert(repo.row_id(ticket), kind, BREACH, len(own) + 1, deadline)


class SlaMonitor:
    """The scheduled SLA check: records each due alert and queues its delivery."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.policy = SlaPolicy(ctx.config.sla, ctx.hours)

    def check(self) -> list[Alert]:
        now = self.ctx.clock.now()
        done = []
        with self.db.transaction() as session:
            tickets = jobs.tickets_in_status(session, WATCHED)
            sent: dict[int, list[SlaAlert]] = defaultdict(list)
            for row in jobs.sla_alerts(session, [repo.row_id(t) for t in tickets]):
                sent[row.ticket_id].append(row)
            for ticket in tickets:
                for alert in self.policy.due_alerts(ticket, sent[repo.row_id(ticket)], now=now):
                    self._send(session, ticket, alert, now=now)
                    done.append(alert)
        return done

    def _send(self, session: Session, ticket: Ticket, alert: Alert, *, now: datetime) -> None:
        session.add(
            SlaAlert(
                ticket_id=alert.ticket_id,
                kind=alert.kind,
                stage=alert.stage,
                seq=alert.seq,
                deadline=alert.deadline,
                created_at=now,
            )
        )
        due = f"{alert.deadline.astimezone(self.ctx.hours.zone):%d.%m %H:%M}"
        label = LABELS[alert.kind]
        if alert.stage == REMINDER:
            left = self.policy.calendar(ticket.priority).support_minutes_between(
                now, alert.deadline
            )
            # A note: agents see it in the thread, the shop never does.
            note = add_message(
                session,
                ticket,
                author=Author.NOTE,
                author_name=SLA_AUTHOR,
                body=REMINDER_TEXT.format(
                    label=label, priority=ticket.priority, due=due, left=round(left)
                ),
                now=now,
                ctx=self.ctx,
                source=Source.SYSTEM,
                extra={"kind": "sla_reminder", "sla": alert.kind},
            )
            enqueue_post(session, ticket, note, config=self.ctx.config, now=now)
            return
        text = BREACH_TEXT.format(
            repeat="" if alert.seq == 1 else f" (reminder {alert.seq})",
            id=ticket.id,
            title=ticket.title,
            department=ticket.department,
            priority=ticket.priority,
            label=label,
            due=due,
            url=agent_page_url(ticket, self.ctx),  # the agents' read-only page, signed
        )
        announce(session, self.ctx.config, key=alert.key, text=text, now=now)
