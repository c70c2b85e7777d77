"""Agents move a ticket to another department: grammar, audit, threads following, relay after."""

import itertools

import pytest
from sqlmodel import select

from adapters.matrix import received
from bot.commands import Malformed, Move, parse, parse_line, parse_slash
from bot.config import Secrets
from bot.dispatch import OutboxDispatcher
from bot.errors import DeliveryError, Failure
from bot.events import (
    Agent,
    AgentCommand,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.housekeeping import Housekeeper
from bot.outbox import PostMessage, new_item
from bot.ticketing import add_message
from pomoc.cli import create_shop
from pomoc.runtime import build_core
from storage import delivery
from storage import repositories as repo
from storage.models import (
    BlockedChannel,
    FormerThread,
    Message,
    MessageLink,
    OutboxItem,
    Shop,
    ThreadLink,
    Ticket,
)
from tests.conftest import make_config
from tests.fakes.chat import FakeChat
from tests.fakes.triage import KeywordTriager
from tests.test_dispatch import drain

DEPARTMENTS = {
    "payments": {"platform": "matrix", "channel": "!payments:test"},
    "returns": {"platform": "matrix", "channel": "!returns:test"},
    "other": {"platform": "slack", "channel": "C0SUPPORT"},
    "shipping": {"platform": "slack", "channel": "C0SHIPPING"},
    "billing": {"platform": "slack", "channel": "C0SUPPORT"},  # shares other's channel
    "archive": {"platform": "none"},
}
LISTED = "archive, billing, other, payments, returns, shipping"
ANNA = Agent(platform="slack", user_id="U0ANNA", display_name="Anna")
OLA = Agent(platform="matrix", user_id="@ola:test", display_name="Ola")
_ids = itertools.count(1)


class Desk:
    """A core with both chat platforms faked, and the shop that writes to it."""

    def __init__(self, services) -> None:
        self.services = services
        self.slack, self.matrix = FakeChat("slack"), FakeChat("matrix")
        adapters = {"slack": self.slack, "matrix": self.matrix}
        self.dispatcher = OutboxDispatcher(services.ctx, adapters, worker_id="test")
        create_shop(services.config.database.url, "Sklep Oli")
        with services.db.transaction() as session:
            self.shop = session.exec(select(Shop)).one()

    def open(self, title: str = "Zmiana stopki", body: str = "Gdzie to ustawic?") -> int:
        return self.services.tickets.open_ticket(shop=self.shop, title=title, body=body).ticket.id

    async def deliver(self) -> None:
        await drain(self.dispatcher, self.services.ctx.clock)

    async def say(self, thread: ThreadRef, text: str, agent: Agent | None = None):
        agent = agent or (ANNA if thread.platform == "slack" else OLA)
        event = ThreadMessage(
            event_id=f"ev{next(_ids)}",
            thread=thread,
            message_id=f"msg{next(_ids)}",
            agent=agent,
            text=text,
        )
        return await self.services.desk.handle(event)

    def row(self, ticket_id: int) -> Ticket:
        with self.services.db.transaction() as session:
            return session.get(Ticket, ticket_id)

    def link(self, ticket_id: int) -> tuple[str, str, str] | None:
        with self.services.db.transaction() as session:
            link = repo.thread_for_ticket(session, ticket_id)
            return (link.platform, link.channel, link.thread_id) if link else None

    def former(self) -> list[tuple[str, str, str, str]]:
        with self.services.db.transaction() as session:
            rows = session.exec(select(FormerThread).order_by(FormerThread.id)).all()
            return [(r.platform, r.channel, r.thread_id, r.department) for r in rows]

    def moves(self, ticket_id: int) -> list[tuple[str, list[str]]]:
        with self.services.db.transaction() as session:
            rows = repo.ticket_audit(session, ticket_id)
            return [(str(r.actor), r.detail["args"]) for r in rows if r.action == "move"]

    def messages(self, ticket_id: int, *, include_notes: bool) -> list[tuple[str, str]]:
        with self.services.db.transaction() as session:
            rows = repo.ticket_messages(session, ticket_id, include_notes=include_notes)
            return [(m.author, m.body) for m in rows]


def _desk(database_url, tmp_path, clock, **sections) -> Desk:
    config = make_config(database_url, tmp_path, departments=DEPARTMENTS, **sections)
    services = build_core(
        config, secrets=Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    return Desk(services)


@pytest.fixture
def desk(database_url, tmp_path, clock):
    made = _desk(database_url, tmp_path, clock)
    yield made
    made.services.db.dispose()


def thread(platform: str, channel: str, thread_id: str) -> ThreadRef:
    return ThreadRef(platform=platform, channel=channel, thread_id=thread_id)


SUPPORT_T1 = thread("slack", "C0SUPPORT", "t1")

# -- the grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        (parse(["move", "payments"]), Move("payments")),
        (parse(["MOVE", "Payments"]), Move("Payments")),
        (parse(["move"]), Malformed("move")),
        (parse(["move", "payments", "now"]), Malformed("move")),
        (parse_line("!move shipping", "!"), Move("shipping")),
        (parse_slash("move 42 shipping"), (Move("shipping"), 42)),
        (parse_slash("move #42 shipping"), (Move("shipping"), 42)),
        (parse_slash("move shipping"), (Move("shipping"), None)),
    ],
)
def test_move_is_parsed_from_lines_and_slash_commands(given, parsed):
    assert given == parsed


# -- Slack channel to Slack channel --------------------------------------------------------------


async def test_a_move_between_slack_channels_opens_a_thread_there_and_tells_the_old(desk):
    ticket_id = desk.open()
    await desk.deliver()
    before = desk.row(ticket_id)
    assert desk.link(ticket_id) == ("slack", "C0SUPPORT", "t1")

    reply = await desk.say(SUPPORT_T1, "!move shipping")
    await desk.deliver()

    assert (reply.text, reply.ok) == (
        f"Zgłoszenie #{ticket_id} przeniesione do działu shipping.",
        True,
    )
    assert desk.row(ticket_id).department == "shipping"
    assert desk.moves(ticket_id) == [("agent:slack:U0ANNA", ["other", "shipping"])]
    assert desk.link(ticket_id) == ("slack", "C0SHIPPING", "t2")
    assert desk.former() == [("slack", "C0SUPPORT", "t1", "other")]
    new_root = desk.slack.threads["t2"]
    assert (new_root.department, new_root.notice) == (
        "shipping",
        "Przeniesione z działu other przez: Anna.",
    )
    away = "Przeniesione do działu shipping przez: Anna; dalej w nowym wątku na C0SHIPPING (slack)."
    assert [(ref, m.author, m.author_name, m.body) for ref, m, _ in desk.slack.posts] == [
        (SUPPORT_T1, "note", "Pomoc", away)
    ]
    assert [(r.department, r.notice, r.left) for r in desk.slack.roots] == [
        ("shipping", away, True)
    ]
    # The SLA clock runs on: nothing the targets count from was reset.
    after = desk.row(ticket_id)
    assert (after.created_at, after.escalated_at, after.first_response_at) == (
        before.created_at,
        before.escalated_at,
        None,
    )


async def test_after_a_move_the_new_thread_relays_both_ways_and_the_old_one_points_there(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move shipping")
    await desk.deliver()
    shipping = thread("slack", "C0SHIPPING", "t2")

    desk.services.tickets.add_shop_message(shop=desk.shop, ticket_id=ticket_id, body="I co dalej?")
    await desk.deliver()
    assert [(ref, m.body) for ref, m, _ in desk.slack.posts][-1] == (shipping, "I co dalej?")

    assert await desk.say(shipping, "Wysyłka jutro rano") is None
    late = await desk.say(SUPPORT_T1, "Sprawdzę to u kuriera")
    noted = await desk.say(SUPPORT_T1, "!note kurier dzwonił")
    refused = await desk.say(SUPPORT_T1, "!claim")

    pointer = (
        f"Zgłoszenie #{ticket_id} przeniesiono do działu shipping; jest teraz w nowym wątku na "
        "C0SHIPPING (slack)."
    )
    assert (late.text, late.ok) == (
        f"{pointer} Twoja wiadomość nie trafiła do sklepu: zapisano ją jako notatkę wewnętrzną "
        "zgłoszenia.",
        False,
    )
    assert noted.text == late.text
    assert (refused.text, refused.ok) == (pointer, False)
    assert desk.row(ticket_id).assignee is None
    shop_reads = desk.messages(ticket_id, include_notes=False)
    assert shop_reads[-2:] == [("shop", "I co dalej?"), ("agent", "Wysyłka jutro rano")]
    assert desk.messages(ticket_id, include_notes=True)[-2:] == [
        ("note", "Sprawdzę to u kuriera"),
        ("note", "kurier dzwonił"),
    ]


async def test_a_slash_command_from_outside_moves_only_for_members_of_the_tickets_channel(desk):
    ticket_id = desk.open()
    await desk.deliver()

    def slash(event_id: str, member_of: set[str]) -> AgentCommand:
        command, number = parse_slash(f"move {ticket_id} SHIPPING")
        return AgentCommand(
            event_id=event_id,
            platform="slack",
            agent=ANNA,
            command=command,
            ticket_id=number,
            channel="D0DIRECT",
            member_of=frozenset(member_of),
        )

    refused = await desk.services.desk.handle(slash("ev-outsider", {"C0SHIPPING"}))
    assert (refused.text, refused.ok) == (
        f"Zgłoszenie #{ticket_id} należy do kanału, którego nie jesteś członkiem: nie możesz go "
        "zmieniać.",
        False,
    )
    assert (desk.row(ticket_id).department, desk.moves(ticket_id)) == ("other", [])

    moved = await desk.services.desk.handle(slash("ev-member", {"C0SUPPORT"}))
    assert moved.text == f"Zgłoszenie #{ticket_id} przeniesione do działu shipping."
    assert desk.moves(ticket_id) == [("agent:slack:U0ANNA", ["other", "shipping"])]


# -- Matrix room to Matrix room, Slack to Matrix -------------------------------------------------


async def test_a_move_between_matrix_rooms(desk):
    ticket_id = desk.open(title="Platnosc nie przeszla")
    await desk.deliver()
    assert desk.link(ticket_id) == ("matrix", "!payments:test", "t1")

    await desk.say(thread("matrix", "!payments:test", "t1"), "!move returns")
    await desk.deliver()

    assert desk.link(ticket_id) == ("matrix", "!returns:test", "t2")
    assert desk.former() == [("matrix", "!payments:test", "t1", "payments")]
    assert desk.matrix.threads["t2"].notice == "Przeniesione z działu payments przez: Ola."
    assert [(ref, m.body) for ref, m, _ in desk.matrix.posts] == [
        (
            thread("matrix", "!payments:test", "t1"),
            "Przeniesione do działu returns przez: Ola; dalej w nowym wątku na !returns:test "
            "(matrix).",
        )
    ]
    assert desk.moves(ticket_id) == [("agent:matrix:@ola:test", ["payments", "returns"])]


async def test_a_move_to_a_matrix_department_takes_the_undelivered_follow_up_along(desk):
    ticket_id = desk.open()
    await desk.deliver()
    desk.services.tickets.add_shop_message(shop=desk.shop, ticket_id=ticket_id, body="Halo?")
    await desk.say(SUPPORT_T1, "!move payments")  # before the follow-up reached the thread
    await desk.deliver()

    assert desk.link(ticket_id) == ("matrix", "!payments:test", "t1")
    assert desk.matrix.threads["t1"].notice == "Przeniesione z działu other przez: Anna."
    assert [(ref, m.body) for ref, m, _ in desk.matrix.posts] == [
        (thread("matrix", "!payments:test", "t1"), "Halo?")
    ]
    assert [m.body for _, m, _ in desk.slack.posts] == [
        "Przeniesione do działu payments przez: Anna; dalej w nowym wątku na !payments:test "
        "(matrix)."
    ]
    with desk.services.db.transaction() as session:
        items = session.exec(select(OutboxItem).where(OutboxItem.ticket_id == ticket_id)).all()
        states = sorted(
            (i.operation, i.platform, i.state) for i in items if i.platform != "webhook"
        )
    assert ("post", "slack", "replaced") in states
    assert ("post", "matrix", "done") in states
    assert all(state in ("done", "replaced") for _, _, state in states)

    # Ola answers from the Matrix thread: it reaches the shop.
    await desk.say(thread("matrix", "!payments:test", "t1"), "Już sprawdzam płatność")
    assert desk.messages(ticket_id, include_notes=False)[-1] == ("agent", "Już sprawdzam płatność")


async def test_a_move_before_the_thread_opened_opens_it_in_the_new_department_only(desk):
    ticket_id = desk.open()
    command, number = parse_slash(f"move {ticket_id} payments")
    await desk.services.desk.handle(
        AgentCommand(
            event_id="ev-early", platform="slack", agent=ANNA, command=command, ticket_id=number
        )
    )
    await desk.deliver()
    assert desk.slack.threads == {} and desk.slack.posts == []
    assert desk.link(ticket_id) == ("matrix", "!payments:test", "t1")
    assert desk.matrix.threads["t1"].notice == "Przeniesione z działu other przez: Anna."
    assert desk.former() == []


# -- the same channel, no chat, refusals ------------------------------------------------------


async def test_a_department_on_the_same_channel_only_updates_the_root(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move billing")
    await desk.deliver()
    assert list(desk.slack.threads) == ["t1"] and desk.slack.posts == []
    assert [(r.department, r.notice, r.left) for r in desk.slack.roots] == [
        ("billing", None, False)
    ]
    assert desk.link(ticket_id) == ("slack", "C0SUPPORT", "t1")
    assert (desk.former(), desk.moves(ticket_id)) == (
        [],
        [("agent:slack:U0ANNA", ["other", "billing"])],
    )


async def test_a_move_to_a_department_without_chat_leaves_the_thread_and_says_so(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move archive")
    await desk.deliver()
    assert desk.link(ticket_id) is None and list(desk.slack.threads) == ["t1"]
    assert [m.body for _, m, _ in desk.slack.posts] == [
        "Przeniesione do działu archive przez: Anna; dalej poza czatem (dział nie ma kanału)."
    ]
    late = await desk.say(SUPPORT_T1, "!resolve")
    assert late.text == (
        f"Zgłoszenie #{ticket_id} przeniesiono do działu archive; jest teraz poza czatem (dział "
        "nie ma kanału)."
    )


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("!move marketing", f"Nie ma działu „marketing”. Działy: {LISTED}."),
        ("!move other", "Zgłoszenie #{id} już jest w dziale other: nic się nie zmienia."),
        ("!move", f"Użycie: move <dział>. Działy: {LISTED}."),
    ],
)
async def test_a_move_that_cannot_be_done_changes_nothing(desk, line, answer):
    ticket_id = desk.open()
    await desk.deliver()
    reply = await desk.say(SUPPORT_T1, line)
    await desk.deliver()
    assert (reply.text, reply.ok) == (answer.format(id=ticket_id), False)
    assert (desk.row(ticket_id).department, desk.moves(ticket_id), desk.former()) == (
        "other",
        [],
        [],
    )
    assert desk.slack.roots == [] and list(desk.slack.threads) == ["t1"]


async def test_a_resolved_ticket_is_not_moved(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!resolve")
    reply = await desk.say(SUPPORT_T1, "!move shipping")
    assert (reply.text, reply.ok) == (
        f"Zgłoszenie #{ticket_id}: nie można wykonać „move”, gdy status to „rozwiązane”.",
        False,
    )
    assert (desk.row(ticket_id).department, desk.moves(ticket_id)) == ("other", [])


async def test_agents_read_the_move_in_english_when_the_team_chooses_it(
    database_url, tmp_path, clock
):
    desk = _desk(database_url, tmp_path, clock, chat={"language": "en"})
    ticket_id = desk.open()
    await desk.deliver()
    reply = await desk.say(SUPPORT_T1, "!move payments")
    await desk.deliver()
    assert reply.text == f"Ticket #{ticket_id} moved to the payments department."
    assert desk.matrix.threads["t1"].notice == "Moved here from the other department by Anna."
    assert [m.body for _, m, _ in desk.slack.posts] == [
        "Moved to the payments department by Anna; it continues in a new thread in "
        "!payments:test (matrix)."
    ]
    desk.services.db.dispose()


# -- delivery and retention --------------------------------------------------------------------


async def test_an_old_thread_deleted_meanwhile_is_not_reopened(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move payments")
    desk.slack.fail_next.append(DeliveryError("thread_not_found", failure=Failure.THREAD_GONE))
    await desk.deliver()
    with desk.services.db.transaction() as session:
        leave = session.exec(select(OutboxItem).where(OutboxItem.operation == "leave_thread")).one()
        slack_open = session.exec(
            select(OutboxItem).where(
                OutboxItem.operation == "open_thread", OutboxItem.platform == "slack"
            )
        ).all()
    assert (leave.idempotency_key, leave.state) == ("leave:slack:C0SUPPORT:t1", "done")
    assert len(slack_open) == 1  # the ticket's first thread; no new root in the left channel
    assert desk.link(ticket_id) == ("matrix", "!payments:test", "t1")


async def test_purging_a_moved_ticket_removes_its_former_threads(desk, clock):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move shipping")
    await desk.deliver()
    await desk.say(thread("slack", "C0SHIPPING", "t2"), "!resolve")
    clock.advance(minutes=1)
    assert Housekeeper(desk.services.ctx).purge(before=clock.now()) == (1, 0)
    assert desk.former() == [] and desk.link(ticket_id) is None
    with desk.services.db.transaction() as session:
        assert session.exec(select(ThreadLink)).all() == []


async def test_a_second_move_before_the_first_was_delivered_tells_the_first_thread_the_last(
    desk,
):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move payments")
    command, number = parse_slash(f"move {ticket_id} returns")
    await desk.services.desk.handle(
        AgentCommand(
            event_id="ev-again", platform="matrix", agent=OLA, command=command, ticket_id=number
        )
    )
    await desk.deliver()
    away = (
        "Przeniesione do działu payments przez: Anna; dalej w nowym wątku na !returns:test "
        "(matrix)."
    )
    assert [(ref, m.body) for ref, m, _ in desk.slack.posts] == [(SUPPORT_T1, away)]
    assert [(r.department, r.notice) for r in desk.slack.roots] == [("returns", away)]
    assert desk.messages(ticket_id, include_notes=True)[-1] == ("note", away)
    assert [(t.department, t.notice) for t in desk.matrix.threads.values()] == [
        ("returns", "Przeniesione z działu payments przez: Ola.")
    ]
    assert desk.link(ticket_id) == ("matrix", "!returns:test", "t1")
    assert desk.moves(ticket_id) == [
        ("agent:slack:U0ANNA", ["other", "payments"]),
        ("agent:matrix:@ola:test", ["payments", "returns"]),
    ]


# -- who may edit or delete what the thread shows ------------------------------------------------

BASIA = Agent(platform="slack", user_id="U0BASIA", display_name="Basia")


def _chat_id(desk: Desk, body: str) -> str:
    """The chat event id of the ticket's message with `body`."""
    with desk.services.db.transaction() as session:
        row = session.exec(select(MessageLink).join(Message).where(Message.body == body)).one()
        return row.external_id


def _edit(platform: str, message_id: str, agent: Agent, text: str) -> ThreadMessageEdited:
    return ThreadMessageEdited(
        event_id=f"ev{next(_ids)}", platform=platform, message_id=message_id, agent=agent, text=text
    )


def _delete(platform: str, message_id: str, agent: Agent) -> ThreadMessageDeleted:
    return ThreadMessageDeleted(
        event_id=f"ev{next(_ids)}", platform=platform, message_id=message_id, agent=agent
    )


async def test_pomocs_move_line_cannot_be_edited_into_a_reply_nor_deleted(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move shipping")
    await desk.deliver()
    away = "Przeniesione do działu shipping przez: Anna; dalej w nowym wątku na C0SHIPPING (slack)."
    line = _chat_id(desk, away)

    assert await desk.services.desk.handle(_edit("slack", line, ANNA, "!reply Super")) is None
    assert await desk.services.desk.handle(_delete("slack", line, ANNA)) is None

    assert [a for a, _ in desk.messages(ticket_id, include_notes=False)] == ["shop", "bot"]
    with desk.services.db.transaction() as session:
        note = session.exec(select(Message).where(Message.body == away)).one()
        assert (note.author, note.edited_at, note.deleted_at) == ("note", None, None)


async def test_the_rating_line_cannot_be_edited_into_a_reply_nor_deleted(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!resolve")
    desk.services.ratings.rate(shop=desk.shop, ticket_id=ticket_id, score=4, comment=None)
    await desk.deliver()
    line = _chat_id(desk, "★★★★☆ 4/5")

    assert await desk.services.desk.handle(_edit("slack", line, ANNA, "!reply Super")) is None
    assert await desk.services.desk.handle(_delete("slack", line, BASIA)) is None

    with desk.services.db.transaction() as session:
        rows = repo.ticket_messages(session, ticket_id, include_notes=True)
        assert [(m.author, m.body, m.deleted_at) for m in rows if m.body.startswith("★")] == [
            ("note", "★★★★☆ 4/5", None)
        ]
        assert all(m.body != "Super" for m in rows)


async def test_only_the_agent_who_wrote_a_message_edits_or_deletes_it(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!note kurier dzwonił", agent=BASIA)
    await desk.say(SUPPORT_T1, "!reply Wysyłka jutro", agent=BASIA)
    note, reply = _chat_id(desk, "kurier dzwonił"), _chat_id(desk, "Wysyłka jutro")

    assert await desk.services.desk.handle(_edit("slack", note, ANNA, "!reply Już")) is None
    assert await desk.services.desk.handle(_delete("slack", reply, ANNA)) is None
    assert desk.messages(ticket_id, include_notes=True)[-2:] == [
        ("note", "kurier dzwonił"),
        ("agent", "Wysyłka jutro"),
    ]

    await desk.services.desk.handle(_edit("slack", note, BASIA, "!reply Kurier będzie jutro"))
    await desk.services.desk.handle(_delete("slack", reply, BASIA))
    assert desk.messages(ticket_id, include_notes=False)[-1] == ("agent", "Kurier będzie jutro")


async def test_a_room_command_moves_only_tickets_of_that_room(desk):
    ticket_id = desk.open(title="Platnosc nie przeszla")
    await desk.deliver()
    assert desk.link(ticket_id) == ("matrix", "!payments:test", "t1")

    def typed_in(room: str) -> AgentCommand:
        raw = {
            "type": "m.room.message",
            "event_id": f"$in{room}",
            "content": {"msgtype": "m.text", "body": f"!move {ticket_id} returns"},
        }
        return received.to_event(room, raw, OLA, command_prefix="!")

    refused = await desk.services.desk.handle(typed_in("!returns:test"))
    assert (refused.text, refused.ok) == (
        f"Zgłoszenie #{ticket_id} należy do kanału, którego nie jesteś członkiem: nie możesz go "
        "zmieniać.",
        False,
    )
    assert (desk.row(ticket_id).department, desk.moves(ticket_id)) == ("payments", [])

    moved = await desk.services.desk.handle(typed_in("!payments:test"))
    assert (moved.text, moved.ok) == (
        f"Zgłoszenie #{ticket_id} przeniesione do działu returns.",
        True,
    )
    assert desk.moves(ticket_id) == [("agent:matrix:@ola:test", ["payments", "returns"])]


# -- moves racing deliveries -------------------------------------------------------------------


async def test_no_move_while_a_worker_is_opening_the_tickets_thread(desk):
    ticket_id = desk.open()
    claimed, _ = desk.dispatcher._claim()
    (opening,) = [item for item in claimed if item.operation == "open_thread"]
    command, number = parse_slash(f"move {ticket_id} shipping")

    def slash(event_id: str) -> AgentCommand:
        return AgentCommand(
            event_id=event_id, platform="slack", agent=ANNA, command=command, ticket_id=number
        )

    refused = await desk.services.desk.handle(slash("ev-while-opening"))
    assert (refused.text, refused.ok) == (
        f"Wątek zgłoszenia #{ticket_id} jeszcze się otwiera: spróbuj je przenieść za chwilę.",
        False,
    )
    assert (desk.row(ticket_id).department, desk.moves(ticket_id)) == ("other", [])

    await desk.dispatcher._deliver(opening)  # the platform answers: the thread is the ticket's
    assert desk.link(ticket_id) == ("slack", "C0SUPPORT", "t1")
    moved = await desk.services.desk.handle(slash("ev-once-open"))
    await desk.deliver()
    assert (moved.text, moved.ok) == (
        f"Zgłoszenie #{ticket_id} przeniesione do działu shipping.",
        True,
    )
    assert desk.link(ticket_id) == ("slack", "C0SHIPPING", "t2")
    assert desk.former() == [("slack", "C0SUPPORT", "t1", "other")]


async def test_a_message_queued_for_the_platform_the_ticket_just_left_follows_it(desk):
    ticket_id = desk.open()
    await desk.deliver()
    await desk.say(SUPPORT_T1, "!move payments")
    await desk.deliver()
    slack_posts = list(desk.slack.posts)
    # As a transaction that read the old thread before the move committed would have queued it.
    ctx = desk.services.ctx
    with desk.services.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        message = add_message(
            session, ticket, author="shop", body="Jest tam kto?", now=ctx.clock.now(), ctx=ctx
        )
        item = new_item(
            ("slack", "C0SUPPORT"),
            PostMessage(repo.flushed_id(session, message)),
            key="post:late",
            now=ctx.clock.now(),
            ticket_id=ticket_id,
            department="other",
        )
        delivery.enqueue(session, item)
    await desk.deliver()

    assert desk.slack.posts == slack_posts
    assert [(ref, m.body) for ref, m, _ in desk.matrix.posts] == [
        (thread("matrix", "!payments:test", "t1"), "Jest tam kto?")
    ]
    with desk.services.db.transaction() as session:
        late = session.exec(select(OutboxItem).where(OutboxItem.idempotency_key == "post:late"))
        assert late.one().state == "replaced"
        assert session.exec(select(BlockedChannel)).all() == []


def test_an_item_queued_again_and_again_keeps_its_original_key_once():
    twice = delivery.requeued_key(delivery.requeued_key("post:7"))
    original, suffix = twice.split(":requeued:")
    assert (original, len(suffix)) == ("post:7", 8)
