"""Satisfaction ratings: own resolved tickets only, bounds, changes, the thread's line, purging."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.matrix.translate import message_contents
from adapters.slack.translate import message_posts
from bot.errors import InvalidTransition, NotFound, ValidationFailed
from bot.housekeeping import Housekeeper
from bot.lifecycle import Status
from bot.ratings import Rated, thread_line
from pomoc.cli import create_shop
from pomoc.runtime import Runtime
from storage.models import AuditEntry, Message, OutboxItem, Rating, Shop, Ticket
from tests.helpers import agent_reply


def shop_named(services, name: str) -> Shop:
    create_shop(services.config.database.url, name)
    with services.db.transaction() as session:
        return session.exec(select(Shop).where(Shop.name == name)).one()


@pytest.fixture
def shop(services) -> Shop:
    return shop_named(services, "Sklep <b>Ani</b>")


async def resolved_ticket(services, shop: Shop) -> int:
    """A ticket of `shop` in the agents' chat, answered and resolved there."""
    opened = services.tickets.open_ticket(shop=shop, title="Zmiana stopki", body="Jak zmienić?")
    ticket_id = opened.ticket.id
    await agent_reply(services, ticket_id, "Wygląd > Stopka")
    await agent_reply(services, ticket_id, "!resolve")
    return ticket_id


def rating_lines(services, ticket_id: int) -> list[tuple[str, str, str, str]]:
    """(author, author name, kind, body) of the rating lines queued for the ticket's thread."""
    with services.db.transaction() as session:
        items = session.exec(
            select(OutboxItem)
            .where(OutboxItem.operation == "post", OutboxItem.ticket_id == ticket_id)
            .order_by(OutboxItem.id)
        ).all()
        told = [session.get(Message, item.payload["message_id"]) for item in items]
        return [
            (m.author, m.author_name, m.extra["kind"], m.body)
            for m in told
            if m.extra.get("kind") in ("rated", "rating_changed")
        ]


async def test_a_rating_is_stored_audited_and_told_to_the_thread(services, shop, clock):
    ticket_id = await resolved_ticket(services, shop)
    rated = services.ratings.rate(shop=shop, ticket_id=ticket_id, score=4, comment="  Szybko! ")
    given = rated.rating
    assert rated.first
    assert (given.score, given.comment) == (4, "Szybko!")
    assert given.created_at == given.updated_at == clock.now()
    with services.db.transaction() as session:
        row = session.exec(select(Rating).where(Rating.ticket_id == ticket_id)).one()
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "rate")).all()
    assert (row.shop_id, row.score, row.comment) == (shop.id, 4, "Szybko!")
    assert [(str(a.actor), a.detail) for a in audit] == [
        (f"shop:{shop.id}", {"score": 4, "previous": None})
    ]
    assert rating_lines(services, ticket_id) == [
        ("note", "Sklep <b>Ani</b>", "rated", "★★★★☆ 4/5\nKomentarz: Szybko!")
    ]
    conversation = services.inbox.conversation(shop.id, ticket_id)
    assert conversation.rating == given
    # The line is the agents': the shop sees its rating on the ticket, not as a message.
    assert [m.kind for m in conversation.messages if m.kind in ("rated", "rating_changed")] == []


async def test_changing_the_rating_replaces_it_and_the_thread_hears_the_change(
    services, shop, clock
):
    ticket_id = await resolved_ticket(services, shop)
    first = services.ratings.rate(shop=shop, ticket_id=ticket_id, score=2, comment="Długo").rating
    clock.advance(hours=1)
    changed = services.ratings.rate(shop=shop, ticket_id=ticket_id, score=5, comment=None)
    second = changed.rating
    assert not changed.first
    assert (second.score, second.comment) == (5, None)
    assert (second.created_at, second.updated_at) == (first.created_at, clock.now())
    with services.db.transaction() as session:
        rows = session.exec(select(Rating)).all()
    assert [(r.score, r.comment) for r in rows] == [(5, None)]
    assert rating_lines(services, ticket_id) == [
        ("note", "Sklep <b>Ani</b>", "rated", "★★☆☆☆ 2/5\nKomentarz: Długo"),
        ("note", "Sklep <b>Ani</b>", "rating_changed", "★★★★★ 5/5 (wcześniej 2/5)"),
    ]
    # The same rating sent again (a double click) changes nothing and says nothing.
    clock.advance(hours=1)
    again = services.ratings.rate(shop=shop, ticket_id=ticket_id, score=5, comment="")
    assert again == Rated(second, first=False)
    assert len(rating_lines(services, ticket_id)) == 2


async def test_only_the_tickets_own_shop_may_rate_it(services, shop):
    ticket_id = await resolved_ticket(services, shop)
    stranger = shop_named(services, "Sklep Bartka")
    with pytest.raises(NotFound):
        services.ratings.rate(shop=stranger, ticket_id=ticket_id, score=1, comment="Źle")
    with pytest.raises(NotFound):
        services.ratings.rate(shop=shop, ticket_id=ticket_id + 100, score=1, comment=None)
    with services.db.transaction() as session:
        assert session.exec(select(Rating)).all() == []


@pytest.mark.parametrize("step", ["open", "reopened"])
async def test_a_ticket_not_resolved_cannot_be_rated(services, shop, step):
    ticket_id = await resolved_ticket(services, shop)
    if step == "reopened":
        await agent_reply(services, ticket_id, "!reopen")
    else:
        ticket_id = services.tickets.open_ticket(shop=shop, title="Inne", body="?").ticket.id
    with services.db.transaction() as session:
        assert session.get(Ticket, ticket_id).status == Status.OPEN
    with pytest.raises(InvalidTransition) as refused:
        services.ratings.rate(shop=shop, ticket_id=ticket_id, score=5, comment=None)
    assert refused.value.refusal == "Ocenić można tylko rozwiązane zgłoszenie."
    assert rating_lines(services, ticket_id) == []


@pytest.mark.parametrize(
    ("score", "comment", "field", "message"),
    [
        (0, None, "score", "Ocena musi być liczbą od 1 do 5."),
        (6, None, "score", "Ocena musi być liczbą od 1 do 5."),
        (-3, None, "score", "Ocena musi być liczbą od 1 do 5."),
        (3, "x" * 1001, "comment", "Komentarz może mieć najwyżej 1000 znaków."),
    ],
)
async def test_scores_outside_one_to_five_and_long_comments_are_refused_in_polish(
    services, shop, score, comment, field, message
):
    ticket_id = await resolved_ticket(services, shop)
    with pytest.raises(ValidationFailed) as refused:
        services.ratings.rate(shop=shop, ticket_id=ticket_id, score=score, comment=comment)
    assert (refused.value.field, refused.value.message) == (field, message)


async def test_the_bounds_themselves_are_accepted(services, shop):
    ticket_id = await resolved_ticket(services, shop)
    assert (
        services.ratings.rate(shop=shop, ticket_id=ticket_id, score=1, comment=None).rating.score
        == 1
    )
    longest = "ż" * 1000
    given = services.ratings.rate(shop=shop, ticket_id=ticket_id, score=5, comment=longest)
    assert given.rating.comment == longest


async def test_the_line_reaches_the_thread_inert_in_slack_and_matrix(services, shop, chat, clock):
    ticket_id = await resolved_ticket(services, shop)
    comment = "<!channel> @room <b>pilne</b> <https://zly.example|kliknij>"
    services.ratings.rate(shop=shop, ticket_id=ticket_id, score=1, comment=comment)
    runtime = Runtime(services, adapters={"matrix": chat})
    for _ in range(5):
        clock.advance(seconds=700)
        await runtime.dispatcher.deliver_once()
    (line,) = [view for _, view, _ in chat.posts if view.kind == "rated"]
    assert line.body == f"★☆☆☆☆ 1/5\nKomentarz: {comment}"

    (content,) = message_contents(line, "$root")
    # A bare @room would page the whole room: a word joiner breaks it; the HTML is escaped.
    assert content["body"] == (
        "⭐ Ocena sklepu: ★☆☆☆☆ 1/5\nKomentarz: <!channel> @\u2060room <b>pilne</b> "
        "<https://zly.example|kliknij>"
    )
    assert content["formatted_body"] == (
        "<b>⭐ Ocena sklepu</b>: ★☆☆☆☆ 1/5<br>Komentarz: &lt;!channel&gt; @\u2060room "
        "&lt;b&gt;pilne&lt;/b&gt; &lt;https://zly.example|kliknij&gt;"
    )
    assert content["m.mentions"] == {}

    ((fallback, blocks),) = message_posts(line, "pl")
    elements = [e for block in blocks for s in block["elements"] for e in s["elements"]]
    # Literal text elements: Slack parses no mention, broadcast or link out of them.
    assert elements == [
        {"type": "text", "text": "⭐ Ocena sklepu", "style": {"bold": True}},
        {"type": "text", "text": ": "},
        {"type": "text", "text": f"★☆☆☆☆ 1/5\nKomentarz: {comment}"},
    ]
    assert "<!channel>" not in fallback and "&lt;!channel&gt;" in fallback


async def test_agents_reading_english_get_the_line_in_english(database_url, tmp_path, clock):
    from bot.config import Secrets
    from pomoc.runtime import build_core
    from tests.conftest import make_config
    from tests.fakes.triage import KeywordTriager

    config = make_config(database_url, tmp_path, chat={"language": "en"})
    services = build_core(
        config, secrets=Secrets.from_env({}), clock=clock, triager=KeywordTriager(), migrate=False
    )
    shop = shop_named(services, "Sklep Ani")
    ticket_id = await resolved_ticket(services, shop)
    services.ratings.rate(shop=shop, ticket_id=ticket_id, score=3, comment="OK")
    services.ratings.rate(shop=shop, ticket_id=ticket_id, score=4, comment="OK")
    assert [(kind, body) for _, _, kind, body in rating_lines(services, ticket_id)] == [
        ("rated", "★★★☆☆ 3/5\nComment: OK"),
        ("rating_changed", "★★★★☆ 4/5 (was 3/5)\nComment: OK"),
    ]
    services.db.dispose()


async def test_a_purged_ticket_takes_its_rating_with_it(services, shop, clock):
    ticket_id = await resolved_ticket(services, shop)
    kept_id = await resolved_ticket(services, shop)
    clock.advance(days=10)
    services.ratings.rate(shop=shop, ticket_id=ticket_id, score=5, comment="Dzięki")
    services.ratings.rate(shop=shop, ticket_id=kept_id, score=3, comment=None)
    with services.db.transaction() as session:
        session.get(Ticket, kept_id).resolved_at = clock.now()  # resolved later: not purged yet
    purged, _files = Housekeeper(services.ctx).purge(clock.now() - timedelta(days=1))
    assert purged == 1
    with services.db.transaction() as session:
        assert [(r.ticket_id, r.score) for r in session.exec(select(Rating))] == [(kept_id, 3)]


async def test_two_first_ratings_at_once_both_succeed_and_the_later_one_counts(services, shop):
    # A few races, not one: two threads released together interleave most times, not always.
    tickets = [await resolved_ticket(services, shop) for _ in range(5)]

    def race(ticket_id: int) -> list[Rated]:
        together = threading.Barrier(2)

        def rate(score: int) -> Rated:
            together.wait()
            return services.ratings.rate(shop=shop, ticket_id=ticket_id, score=score, comment=None)

        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(rate, (2, 5)))

    for ticket_id in tickets:
        assert sorted(answer.first for answer in race(ticket_id)) == [False, True]
        with services.db.transaction() as session:
            (row,) = session.exec(select(Rating).where(Rating.ticket_id == ticket_id)).all()
            audit = session.exec(
                select(AuditEntry)
                .where(AuditEntry.action == "rate", AuditEntry.ticket_id == ticket_id)
                .order_by(AuditEntry.id)
            ).all()
        # The second to write saw the first's rating: it changed it, and says from what.
        earlier, later = (entry.detail for entry in audit)
        assert earlier == {"score": earlier["score"], "previous": None}
        assert later == {"score": 7 - earlier["score"], "previous": earlier["score"]}
        assert row.score == later["score"]
        assert [kind for _, _, kind, _ in rating_lines(services, ticket_id)] == [
            "rated",
            "rating_changed",
        ]


def test_the_thread_line_follows_the_scale(monkeypatch):
    monkeypatch.setattr("bot.ratings.SCORE_MAX", 10)
    assert thread_line(7, None, previous=3, language="pl") == "★★★★★★★☆☆☆ 7/10 (wcześniej 3/10)"
    assert thread_line(7, None, previous=3, language="en") == "★★★★★★★☆☆☆ 7/10 (was 3/10)"
