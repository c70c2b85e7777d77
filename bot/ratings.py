"""Satisfaction (CSAT): the shop rates its resolved ticket 1-5, and the agents' thread hears it."""

# A rating is one row per ticket; rating again replaces it (the latest counts in the reports)
# and the thread says it changed. The row, its audit entry and the thread's line commit together;
# the platform's `ticket.rated` webhook follows from the row (bot/platform_events.py).

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot import catalogue as cat
from bot import texts
from bot.context import Context
from bot.errors import InvalidTransition
from bot.inbox import own_ticket, shop_rating
from bot.lifecycle import Status
from bot.outbox import enqueue_post
from bot.ticketing import add_message
from bot.validation import SCORE_MAX, check_comment, check_score
from bot.views import ShopRating
from bot.vocabulary import Actor, Author
from storage import repositories as repo
from storage.models import Rating, Shop, Ticket


def stars(score: int) -> str:
    return "★" * score + "☆" * (SCORE_MAX - score)


def thread_line(score: int, comment: str | None, *, previous: int | None, language: str) -> str:
    """What the agents read under the rating's label: "★★★★☆ 4/5 (wcześniej 2/5)" and the
    shop's comment on its own line (shop text: the adapters render it inert)."""
    line = f"{stars(score)} {score}/{SCORE_MAX}"
    if previous is not None:
        line += " " + cat.text(cat.RATING_WAS, language, previous=previous, max=SCORE_MAX)
    if comment:
        line += "\n" + cat.text(cat.RATING_COMMENT, language, comment=comment)
    return line


@dataclass(frozen=True, slots=True)
class Rated:
    rating: ShopRating
    first: bool  # the ticket had no rating before (the API answers 201 Created)


class Ratings:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def rate(self, *, shop: Shop, ticket_id: int, score: int, comment: str | None) -> Rated:
        """Rate (or re-rate) the shop's resolved ticket; the same rating again changes nothing.

        NotFound for another shop's ticket, InvalidTransition (with the shop's reason) unless
        it is resolved, ValidationFailed for a score outside 1-5 or a too long comment."""
        score, comment = check_score(score), check_comment(comment)
        now = self.ctx.clock.now()
        shop_id = repo.row_id(shop)
        with self.ctx.db.transaction() as session:
            # Two ratings at once queue here, before reading, so the second sees the first's
            # row (and changes it) instead of both inserting one.
            repo.lock_ticket(session, ticket_id)
            ticket = own_ticket(session, shop_id, ticket_id)
            if ticket.status != Status.RESOLVED:
                raise InvalidTransition(ticket.status, "rate", refusal=texts.RATING_NOT_RESOLVED)
            row = repo.ticket_rating(session, repo.row_id(ticket))
            if row is not None and (row.score, row.comment) == (score, comment):
                return Rated(shop_rating(row), first=False)
            previous = row.score if row is not None else None
            if row is None:
                row = Rating(
                    ticket_id=repo.row_id(ticket), shop_id=shop_id, score=score, created_at=now
                )
            row.score, row.comment, row.updated_at = score, comment, now
            session.add(row)
            repo.audit(
                session,
                ticket_id=ticket.id,
                actor=Actor.shop(shop_id),
                action="rate",
                now=now,
                score=score,
                previous=previous,
            )
            self._tell_thread(session, ticket, shop, row, previous=previous, now=now)
            return Rated(shop_rating(row), first=previous is None)

    def _tell_thread(
        self,
        session: Session,
        ticket: Ticket,
        shop: Shop,
        row: Rating,
        *,
        previous: int | None,
        now: datetime,
    ) -> None:
        """The rating as an activity line in the ticket's thread: an internal message (the
        shop sees its rating on the ticket, not as a message) in the agents' language."""
        language = self.ctx.config.chat.language
        line = add_message(
            session,
            ticket,
            author=Author.NOTE,
            author_name=shop.name,
            body=thread_line(row.score, row.comment, previous=previous, language=language),
            now=now,
            ctx=self.ctx,
            extra={"kind": "rated" if previous is None else "rating_changed"},
        )
        enqueue_post(session, ticket, line, config=self.ctx.config, now=now)
