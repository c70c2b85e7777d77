"""Channels that need an operator: blocking, telling the managers once, recovering, falling back."""

# A blocked channel's deliveries stay pending (nothing is lost) while a probe retries the oldest
# one; the first block and the recovery are announced to the managers, or logged when the
# managers' own channel is the one that is broken. A department whose channel stays blocked
# longer than `[chat] fallback_after_minutes` sends its new tickets to a fallback route.

import logging
from datetime import timedelta

from sqlmodel import Session

from bot.context import Context
from bot.errors import DeliveryError, Failure
from bot.outbox import RetryPolicy, Target, announce, route_target
from bot.vocabulary import Platform
from storage import blocks, delivery
from storage.models import BlockedChannel, OutboxItem

log = logging.getLogger(__name__)

# What an operator does about each error, in words (also what `pomoc check` prints).
FIXES = {
    "not_in_channel": "zaproś bota na kanał (/invite @Pomoc)",
    "channel_not_found": "sprawdź identyfikator kanału w konfiguracji (departments.*.channel)",
    "is_archived": "przywróć kanał z archiwum albo skieruj dział na inny kanał",
    "restricted_action": "pozwól aplikacji pisać na tym kanale (ustawienia kanału)",
    "invalid_auth": "ustaw ważny token bota w POMOC_SLACK_BOT_TOKEN",
    "not_authed": "ustaw token bota w POMOC_SLACK_BOT_TOKEN",
    "token_revoked": "zainstaluj aplikację ponownie i ustaw nowy POMOC_SLACK_BOT_TOKEN",
    "token_expired": "odśwież token bota i ustaw nowy POMOC_SLACK_BOT_TOKEN",
    "account_inactive": "aktywuj konto bota lub zainstaluj aplikację ponownie",
    "missing_scope": "dodaj brakujące uprawnienia z manifestu i zainstaluj aplikację ponownie",
    "M_FORBIDDEN": "zaproś bota do pokoju i pozwól mu pisać (poziom uprawnień)",
    "M_NOT_FOUND": "sprawdź identyfikator pokoju w konfiguracji (departments.*.channel)",
    "M_UNKNOWN_TOKEN": "ustaw nowy POMOC_MATRIX_ACCESS_TOKEN (stary wygasł lub odwołano go)",
    "M_MISSING_TOKEN": "ustaw POMOC_MATRIX_ACCESS_TOKEN",
}
BLOCKED = (
    "⚠️ Pomoc nie może pisać na {where} ({platform}): {code}. Zgłoszenia i odpowiedzi czekają "
    "w kolejce i trafią tam po naprawie. Co zrobić: {fix}."
)
RECOVERED = "✅ {where} ({platform}) znowu przyjmuje wiadomości: dostarczamy to, co czekało."
DEAD = (
    "❌ Nie udało się dostarczyć wiadomości zgłoszenia #{ticket} na {where} ({platform}): "
    "{error}. Sprawdź `pomoc outbox list --state dead`."
)
FALLBACK = (
    "Kanał działu {department} ({channel}) jest niedostępny od {since}: zgłoszenie trafiło "
    "tutaj. Przyczyna: {code}."
)


def fix_for(code: str | None) -> str:
    return FIXES.get(code or "", "uruchom `pomoc check` i popraw to, co wskaże")


def _where(platform: Platform, channel: str) -> str:
    if channel == delivery.ALL_CHANNELS:
        return "całej platformie" if platform == Platform.SLACK else "całym serwerze Matrix"
    return f"kanale {channel}"


class ChannelHealth:
    """Applied by the outbox worker inside the transaction that records a delivery's outcome."""

    def __init__(self, ctx: Context, retry: RetryPolicy) -> None:
        self.ctx = ctx
        self.retry = retry

    def blocked(
        self, session: Session, *, platform: Platform, channel: str, error: DeliveryError
    ) -> None:
        """Pause the channel (or, for a platform-wide error, the platform): its items wait for
        the probe. The first block of it is announced once; later ones only back the probe off."""
        now = self.ctx.clock.now()
        if error.failure != Failure.CHANNEL:
            channel = delivery.ALL_CHANNELS
        code = error.code or error.failure.value
        row, new = blocks.block(
            session,
            platform=platform,
            channel=channel,
            code=code,
            detail=str(error),
            now=now,
            probe_in=timedelta(seconds=self.retry.probe_delay(0)),
        )
        if not new:
            row.next_probe_at = now + timedelta(seconds=self.retry.probe_delay(row.probes))
            return
        where = _where(platform, channel)
        log.error(
            "delivery to %s %s blocked (%s): items wait until it is fixed; %s",
            platform,
            where,
            code,
            fix_for(code),
        )
        text = BLOCKED.format(where=where, platform=platform, code=code, fix=fix_for(code))
        if self._managers_reachable(row):
            key = f"blocked:{row.platform}:{row.channel}:{now:%s}"
            announce(session, self.ctx.config, key=key, text=text, now=now)
        else:  # the managers' own channel is the broken one: the log is all there is
            log.error("managers' channel unreachable; not announced: %s", text)

    def working(self, session: Session, *, platform: Platform, channel: str) -> None:
        """A delivery (or a probe) worked: lift the blocks it proves fixed, and say so."""
        now = self.ctx.clock.now()
        for row in blocks.unblock(session, platform=platform, channel=channel):
            where = _where(row.platform, row.channel)
            log.warning("delivery to %s %s works again", row.platform, where)
            text = RECOVERED.format(where=where.capitalize(), platform=row.platform)
            key = f"recovered:{row.platform}:{row.channel}:{row.since:%s}"
            announce(session, self.ctx.config, key=key, text=text, now=now)

    def gave_up(self, session: Session, item: OutboxItem, error: DeliveryError) -> None:
        """A delivery is dead: the managers hear of it (never about their own announcements)."""
        if item.ticket_id is None:
            return
        text = DEAD.format(
            ticket=item.ticket_id,
            where=_where(item.platform, item.channel),
            platform=item.platform,
            error=str(error)[:300],
        )
        announce(
            session, self.ctx.config, key=f"dead:{item.id}", text=text, now=self.ctx.clock.now()
        )

    def _managers_reachable(self, row: BlockedChannel) -> bool:
        managers = self.ctx.config.managers
        return not (
            managers.platform == row.platform
            and row.channel in (managers.channel, delivery.ALL_CHANNELS)
        )

    # -- fallback ---------------------------------------------------------------------------

    def reroute(self, session: Session) -> int:
        """Move tickets waiting for their first thread in a channel blocked longer than the
        delay to the fallback route, with a line on the root saying why; returns how many.

        Only tickets without a thread move: a thread that exists stays where agents know it.
        When the channel recovers, new tickets go to their department's channel again."""
        now = self.ctx.clock.now()
        delay = timedelta(minutes=self.ctx.config.chat.fallback_after_minutes)
        moved = 0
        for block in blocks.blocked_channels(session):
            if now - block.since < delay:
                continue
            for opening in blocks.waiting_openings(session, block.platform, block.channel):
                if self._move(session, opening, block):
                    moved += 1
        return moved

    def _move(self, session: Session, opening: OutboxItem, block: BlockedChannel) -> bool:
        target = self._fallback_target(opening.department or "")
        here = (opening.platform, opening.channel)
        if target is None or target == here or blocks.block_of(session, *target) is not None:
            return False  # no fallback, or it is broken too: the ticket waits where it belongs
        since = block.since.astimezone(self.ctx.hours.zone)
        note = FALLBACK.format(
            department=opening.department or "?",
            channel=opening.channel,
            since=f"{since:%d.%m %H:%M}",
            code=block.code,
        )
        assert opening.ticket_id is not None  # openings always belong to a ticket
        blocks.move_ticket(session, opening.ticket_id, here=here, to=target, note=note)
        log.warning(
            "ticket %s (department %s) moved from %s %s to %s %s: %s blocked since %s",
            opening.ticket_id,
            opening.department,
            *here,
            *target,
            block.code,
            block.since.isoformat(),
        )
        return True

    def _fallback_target(self, department: str) -> Target | None:
        config = self.ctx.config
        name = config.chat.fallback_department
        if name and name != department:
            target = route_target(config.department(name))
            if target is not None:
                return target
        return route_target(config.managers)
