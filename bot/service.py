"""The shop-side service API and the time-driven steps: what the panel and the scheduler call."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import texts
from bot.context import Context
from bot.errors import InvalidTransition, RateLimited
from bot.events import InboundFile
from bot.inbox import conversation, own_ticket, shop_ticket
from bot.lifecycle import Action, Status
from bot.outbox import enqueue_post, enqueue_root_update
from bot.ticketing import add_message, bot_says, escalate, transition
from bot.uploads import CheckedFile, check_files
from bot.validation import check_body, check_order_url, check_title
from bot.views import Conversation, ShopTicket
from bot.vocabulary import SYSTEM, Actor, Author, Priority
from storage import repositories as repo
from storage.models import Message, Shop, Ticket
from storage.platform import nth_newest_ticket_at


class TicketService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db

    # -- shop side ---------------------------------------------------------------------------

    def open_ticket(
        self,
        *,
        shop: Shop,
        title: str | None,
        body: str | None,
        order_url: str | None = None,
        files: Sequence[InboundFile] = (),
    ) -> Conversation:
        """Validate, triage and store a new ticket, then suggest, queue or escalate it.

        Returns everything the shop sees of it, built from what this transaction wrote, so
        the caller need not read it back."""
        title = check_title(title)
        body = check_body(body)
        order_url = check_order_url(order_url)
        checked = check_files(list(files), self.ctx.config.attachments)
        assessment = self.ctx.triager.assess(title=title, body=body)
        now = self.ctx.clock.now()
        actor = Actor.shop(repo.row_id(shop))
        with self.db.transaction() as session:
            self._check_rate(session, shop, now)
            ticket = Ticket(
                shop_id=repo.row_id(shop),
                title=title,
                body=body,
                order_url=order_url,
                status=Status.NEW,
                priority=Priority.CRITICAL if assessment.critical else Priority.NORMAL,
                department=assessment.department,
                triage={
                    "suggestions": [asdict(s) for s in assessment.suggestions],
                    "signals": list(assessment.signals),
                    "confidence": assessment.confidence,
                },
                created_at=now,
                updated_at=now,
                last_activity_at=now,
            )
            session.add(ticket)
            session.flush()
            repo.audit(
                session,
                ticket_id=ticket.id,
                actor=actor,
                action="open",
                now=now,
                department=ticket.department,
                priority=ticket.priority,
            )
            first = self._shop_message(session, ticket, shop, body=body, files=checked, now=now)
            replies = self._first_step(session, ticket, now=now, actor=actor)
            # Only uploads need a read: their rows get ids at the flush above.
            session.flush()  # the answer shows the rows' ids
            stored = repo.message_attachments(session, [repo.row_id(first)]) if checked else []
            return conversation(ticket, [first, *replies], stored)

    def _shop_message(
        self,
        session: Session,
        ticket: Ticket,
        shop: Shop,
        *,
        body: str,
        files: list[CheckedFile],
        now: datetime,
    ) -> Message:
        return add_message(
            session,
            ticket,
            author=Author.SHOP,
            author_name=shop.name,
            body=body,
            now=now,
            ctx=self.ctx,
            files=files,
        )

    def _check_rate(self, session: Session, shop: Shop, now: datetime) -> None:
        """Refuse a flood of new tickets from one shop; counted in the database, so every
        instance sees the same number."""
        limit = self.ctx.config.panel.max_new_tickets_per_hour
        hour_ago = now - timedelta(hours=1)
        shop_id = repo.row_id(shop)
        # At the limit exactly when the shop has a limit-th newest ticket in the hour; a slot
        # frees when that ticket leaves the hour: that is the wait. A limit of 0 or less refuses
        # every ticket (waiting for the newest one's hour, or a whole hour).
        nth = nth_newest_ticket_at(session, shop_id, hour_ago, max(limit, 1))
        if nth is not None or limit <= 0:
            oldest = nth or now
            wait = (oldest + timedelta(hours=1) - now).total_seconds()
            raise RateLimited(f"shop {shop_id}", retry_after=max(1.0, wait))

    def _first_step(
        self, session: Session, ticket: Ticket, *, now: datetime, actor: Actor
    ) -> list[Message]:
        """Suggest, escalate or queue a new ticket; returns the bot's messages to the shop."""
        said = []
        suggestions = ticket.triage.get("suggestions") or []
        if suggestions:
            said.append(
                bot_says(
                    session,
                    ticket,
                    texts.SUGGESTIONS_INTRO,
                    kind="suggestions",
                    now=now,
                    ctx=self.ctx,
                    suggestions=suggestions,
                )
            )
        window = self.ctx.config.triage.deflection_window_minutes
        if ticket.priority == Priority.CRITICAL:
            said.append(self._escalate_now(session, ticket, now=now, actor=actor))
        elif suggestions and window > 0:
            transition(session, ticket, Action.SUGGEST, actor=actor, now=now)
            ticket.due_at = now + timedelta(minutes=window)
        else:
            said.append(self._escalate_or_queue(session, ticket, now=now, actor=actor))
        return said

    def _escalate_now(
        self, session: Session, ticket: Ticket, *, now: datetime, actor: Actor
    ) -> Message:
        escalate(session, ticket, actor=actor, now=now, ctx=self.ctx)
        off_hours = not self.ctx.hours.is_open(now)
        text = texts.CRITICAL_OFF_HOURS if off_hours else texts.ESCALATED
        return bot_says(session, ticket, text, kind="escalated", now=now, ctx=self.ctx)

    def _escalate_or_queue(
        self, session: Session, ticket: Ticket, *, now: datetime, actor: Actor
    ) -> Message:
        if self.ctx.hours.is_open(now):
            return self._escalate_now(session, ticket, now=now, actor=actor)
        opening = self.ctx.hours.next_opening(now)
        transition(session, ticket, Action.QUEUE, actor=actor, now=now, until=opening.isoformat())
        ticket.due_at = opening
        when = self.ctx.hours.describe_opening(opening, now)
        return bot_says(
            session,
            ticket,
            texts.QUEUED.format(when=when),
            kind="queued",
            now=now,
            ctx=self.ctx,
            until=str(opening),
        )

    def add_shop_message(
        self, *, shop: Shop, ticket_id: int, body: str | None, files: Sequence[InboundFile] = ()
    ) -> Conversation:
        """A follow-up from the shop; returns the ticket with just the new message."""
        body = check_body(body)
        checked = check_files(list(files), self.ctx.config.attachments)
        now = self.ctx.clock.now()
        config = self.ctx.config
        with self.db.transaction() as session:
            # Before reading where the thread is: a move under way commits first, or waits.
            repo.lock_ticket(session, ticket_id)
            ticket = own_ticket(session, repo.row_id(shop), ticket_id)
            was = ticket.status
            actor = Actor.shop(repo.row_id(shop))
            transition(session, ticket, Action.SHOP_REPLY, actor=actor, now=now)
            message = self._shop_message(session, ticket, shop, body=body, files=checked, now=now)
            enqueue_post(session, ticket, message, config=config, now=now)
            if was != ticket.status:
                enqueue_root_update(session, ticket, config=config, now=now)
            session.flush()  # the answer shows the message's id
            stored = repo.message_attachments(session, [repo.row_id(message)]) if checked else []
            return conversation(ticket, [message], stored)

    def feedback(self, *, shop: Shop, ticket_id: int, helped: bool) -> ShopTicket:
        """The owner's answer to the suggested articles: close as deflected, or pass to an agent."""
        now = self.ctx.clock.now()
        actor = Actor.shop(repo.row_id(shop))
        with self.db.transaction() as session:
            ticket = own_ticket(session, repo.row_id(shop), ticket_id)
            if ticket.status != Status.SUGGESTED:
                raise InvalidTransition(ticket.status, "feedback")
            repo.audit(
                session, ticket_id=ticket.id, actor=actor, action="feedback", now=now, helped=helped
            )
            if helped:
                transition(session, ticket, Action.RESOLVE, actor=actor, now=now, deflected=True)
                ticket.deflected = True
                bot_says(session, ticket, texts.DEFLECTED, kind="deflected", now=now, ctx=self.ctx)
                ticket.unread = False
            else:
                self._escalate_or_queue(session, ticket, now=now, actor=actor)
            return shop_ticket(ticket)

    # -- time-driven steps (called by the scheduler) -----------------------------------------

    def advance_due(self, *, limit: int = 500) -> int:
        """Release queued tickets whose support hours began and escalate unanswered suggestions.

        Oldest first, so Monday's opening releases the weekend queue in creation order.
        """
        now = self.ctx.clock.now()
        done = 0
        with self.db.transaction() as session:
            for ticket in repo.due_tickets(session, now=now, limit=limit):
                if ticket.status == Status.SUGGESTED:
                    self._escalate_or_queue(session, ticket, now=now, actor=SYSTEM)
                elif self.ctx.hours.is_open(now):
                    self._escalate_now(session, ticket, now=now, actor=SYSTEM)
                else:
                    # Support did not open after all (a closed day added since it was queued):
                    # wait for the next opening instead of blocking the batch every pass.
                    ticket.due_at = self.ctx.hours.next_opening(now)
                    session.add(ticket)
                    continue
                done += 1
        return done
