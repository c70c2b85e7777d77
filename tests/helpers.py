"""Small helpers the tests share."""

import io
import itertools

from bot.events import Agent, ThreadMessage, ThreadRef
from storage import repositories as repo
from storage.models import ThreadLink

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF_MINI = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ANNA = Agent(platform="matrix", user_id="@anna:test", display_name="Anna z supportu")
_ids = itertools.count(1)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def png(name: str = "zrzut.png", size: int = 0) -> tuple[str, io.BytesIO, str]:
    """A real PNG, padded past `size` bytes when asked (PNG readers ignore trailing bytes)."""
    data = PNG_1X1 + b"\0" * max(0, size - len(PNG_1X1))
    return (name, io.BytesIO(data), "image/png")


async def agent_reply(
    services,
    ticket_id: int,
    text: str,
    *,
    event_id: str | None = None,
    message_id: str | None = None,
    agent: Agent = ANNA,
    **extra,
):
    """Write `text` as `agent` (Anna) in the ticket's thread (made up if the outbox has not
    opened one)."""
    with services.db.transaction() as session:
        link = repo.thread_for_ticket(session, ticket_id)
        if link is None:
            link = ThreadLink(
                ticket_id=ticket_id,
                platform="matrix",
                channel="!support:test",
                thread_id=f"$root{ticket_id}",
                root_message_id=f"$root{ticket_id}",
                created_at=services.ctx.clock.now(),
            )
            session.add(link)
    thread = ThreadRef(platform=link.platform, channel=link.channel, thread_id=link.thread_id)
    event = ThreadMessage(
        event_id=event_id or f"$e{next(_ids)}",
        thread=thread,
        message_id=message_id or f"$m{next(_ids)}",
        agent=agent,
        text=text,
        **extra,
    )
    return await services.desk.handle(event)
