"""The outbox: a change and its delivery commit together; retries keep order, one call per key."""

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.dispatch import OutboxDispatcher
from bot.errors import DeliveryError, Failure
from pomoc.cli import create_shop
from storage import blocks
from storage.models import MessageLink, OutboxItem, Shop, ThreadLink
from tests.helpers import agent_reply


def shop(services) -> Shop:

    create_shop(services.config.database.url, "Sklep Doroty")
    with services.db.transaction() as session:
        return session.exec(select(Shop)).first()


def open_ticket(services, owner: Shop, title="Zmiana stopki", body="Gdzie to ustawic?"):
    return services.tickets.open_ticket(shop=owner, title=title, body=body).ticket


def outbox(services) -> list[OutboxItem]:
    with services.db.transaction() as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)))


async def drain(dispatcher: OutboxDispatcher, clock, *, rounds: int = 20) -> None:
    """Deliver until nothing is due, moving the fake clock past any backoff."""
    for _ in range(rounds):
        if not await dispatcher.deliver_once():
            clock.advance(minutes=15)
            if not await dispatcher.deliver_once():
                return


async def test_escalation_and_follow_ups_reach_the_thread_in_order(services, runtime, chat, clock):
    owner = shop(services)
    ticket = open_ticket(services, owner)
    for n in range(5):
        services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body=f"dopisek {n}")
    await drain(runtime.dispatcher, clock)
    (thread_id,) = chat.threads
    assert [m.body for _, m, _ in chat.posts] == [f"dopisek {n}" for n in range(5)]
    assert {ref.thread_id for ref, _, _ in chat.posts} == {thread_id}
    with services.db.transaction() as session:
        link = session.exec(select(ThreadLink)).one()
        assert (link.ticket_id, link.thread_id) == (ticket.id, thread_id)
        assert len(session.exec(select(MessageLink)).all()) == 5
    assert {item.state for item in outbox(services)} == {"done"}


async def test_follow_ups_written_before_escalation_are_posted_after_the_root(
    services, runtime, chat, clock
):
    owner = shop(services)
    ticket = open_ticket(services, owner, title="Blad p24", body="p24 nie dziala")
    assert ticket.status == "suggested"
    services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body="Dodam zrzut ekranu")
    await drain(runtime.dispatcher, clock)
    assert chat.threads == {} and chat.posts == []  # still waiting for the owner's feedback
    services.tickets.feedback(shop=owner, ticket_id=ticket.id, helped=False)
    await drain(runtime.dispatcher, clock)
    assert len(chat.threads) == 1
    assert [m.body for _, m, _ in chat.posts] == ["Dodam zrzut ekranu"]


async def test_failures_back_off_honour_retry_after_then_deliver_once(
    services, runtime, chat, clock
):
    owner = shop(services)
    open_ticket(services, owner)
    chat.fail_next = [DeliveryError("boom"), DeliveryError("slow down", retry_after=42)]
    assert await runtime.dispatcher.deliver_once() == 1
    (item,) = outbox(services)
    assert item.state == "pending" and item.last_error == "boom"
    assert item.next_attempt_at > clock.now()
    clock.set(item.next_attempt_at)
    await runtime.dispatcher.deliver_once()
    (item,) = outbox(services)
    assert item.next_attempt_at == clock.now() + timedelta(seconds=42)
    assert await runtime.dispatcher.deliver_once() == 0  # not due yet
    clock.advance(seconds=42)
    await runtime.dispatcher.deliver_once()
    (item,) = outbox(services)
    assert item.state == "done" and item.attempts == 3
    assert len(chat.threads) == 1
    assert chat.retries == ["open:1", "open:1"]  # the later attempts were flagged as retries


async def test_permanent_failure_is_dead_and_does_not_block_the_ticket(
    services, runtime, chat, clock
):
    owner = shop(services)
    ticket = open_ticket(services, owner)
    await drain(runtime.dispatcher, clock)
    services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body="pierwszy")
    services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body="drugi")
    chat.fail_next = [DeliveryError("message too long", failure=Failure.PERMANENT)]
    await drain(runtime.dispatcher, clock)
    states = {item.payload.get("message_id"): item.state for item in outbox(services)}
    assert sorted(states.values()) == ["dead", "done", "done"]
    assert [m.body for _, m, _ in chat.posts] == ["drugi"]


async def test_an_expired_lease_is_redelivered_as_a_retry_with_the_same_key(services, chat, clock):
    owner = shop(services)
    open_ticket(services, owner)
    crashed = OutboxDispatcher(
        services.ctx, {"matrix": chat}, worker_id="dead", lease=timedelta(seconds=30)
    )
    claimed, _ = crashed._claim()  # the worker took the item, then its process died
    assert [item.idempotency_key for item in claimed] == ["open:1"]
    survivor = OutboxDispatcher(services.ctx, {"matrix": chat}, worker_id="alive")
    assert await survivor.deliver_once() == 0  # the lease still holds
    clock.advance(seconds=31)
    assert await survivor.deliver_once() == 1
    assert chat.retries == ["open:1"]
    assert len(chat.threads) == 1


async def test_root_updates_are_collapsed_to_the_latest_state(services, runtime, chat, clock):
    owner = shop(services)
    ticket = open_ticket(services, owner)
    await drain(runtime.dispatcher, clock)
    for command in ("!claim", "!priority critical", "!assign Tomek"):
        await agent_reply(services, ticket.id, command)
    await drain(runtime.dispatcher, clock)
    assert len(chat.roots) == 1
    assert (chat.roots[0].assignee, chat.roots[0].priority) == ("Tomek", "critical")


async def test_no_adapter_for_a_platform_holds_its_items_until_one_is_configured(
    services, chat, clock
):
    owner = shop(services)
    open_ticket(services, owner)
    lonely = OutboxDispatcher(services.ctx, {}, worker_id="w")
    await lonely.deliver_once()
    (item,) = outbox(services)
    assert item.state == "pending" and "no adapter" in item.last_error
    with services.db.transaction() as session:
        assert [(b.platform, b.channel) for b in blocks.blocked_channels(session)] == [
            ("matrix", "*")
        ]
    # The operator enables Matrix: the probe delivers the waiting ticket, once.
    clock.advance(seconds=10)
    fixed = OutboxDispatcher(services.ctx, {"matrix": chat}, worker_id="w")
    assert await fixed.deliver_once() == 1
    assert [view.id for view in chat.threads.values()] == [item.ticket_id]
    with services.db.transaction() as session:
        assert blocks.blocked_channels(session) == []


async def test_an_outbox_commit_wakes_the_run_loop_which_stops_on_request(services, chat):
    owner = shop(services)
    dispatcher = OutboxDispatcher(services.ctx, {"matrix": chat}, worker_id="w")
    stop = asyncio.Event()
    services.db.on_outbox_commit(dispatcher.kick)
    worker = asyncio.create_task(dispatcher.run(stop, idle=30))
    await asyncio.sleep(0.05)
    open_ticket(services, owner)  # its commit wrote the outbox, which kicks the worker
    for _ in range(100):
        if chat.threads:
            break
        await asyncio.sleep(0.01)
    assert len(chat.threads) == 1  # delivered long before the 30 s idle poll
    stop.set()
    await asyncio.wait_for(worker, 2)


async def test_a_slow_channel_holds_back_no_other_channel(services, chat):
    """Payments' channel takes 0.5 s per thread (think Slack's one message a second): a
    ticket for another department must not queue behind its backlog, and stopping hands the
    backlog back at once."""
    chat.delays["!payments:test"] = 0.5
    owner = shop(services)
    dispatcher = OutboxDispatcher(services.ctx, {"matrix": chat}, worker_id="w")
    services.db.on_outbox_commit(dispatcher.kick)
    stop = asyncio.Event()
    worker = asyncio.create_task(dispatcher.run(stop, idle=30))
    for n in range(4):
        open_ticket(services, owner, title=f"Platnosci {n}", body="Platnosci nie przechodza")
    await asyncio.sleep(0.1)  # the payments lane is on its first thread
    other = open_ticket(services, owner)
    began = asyncio.get_running_loop().time()
    while not any(view.id == other.id for view in chat.threads.values()):
        assert asyncio.get_running_loop().time() - began < 0.4, "waited behind payments"
        await asyncio.sleep(0.01)
    assert len(chat.threads) < 5  # payments is still working through its backlog

    # More tickets for the busy channel wake nobody: its lane's end brings the next claim.
    claims = []
    claim = dispatcher._claim
    dispatcher._claim = lambda **kwargs: claims.append(kwargs) or claim(**kwargs)
    for n in range(20):
        open_ticket(services, owner, title=f"Platnosci {n}", body="Platnosci nie przechodza")
        await asyncio.sleep(0)
    assert len(claims) <= 1

    stop.set()
    await asyncio.wait_for(worker, 1)
    pending = [item for item in outbox(services) if item.state == "pending"]
    assert pending and all(item.claimed_by is None for item in pending)
    assert {item.channel for item in pending} == {"!payments:test"}


async def test_the_root_is_edited_only_when_what_it_shows_changes(services, runtime, chat, clock):
    owner = shop(services)
    ticket = open_ticket(services, owner)
    await drain(runtime.dispatcher, clock)
    for text in ("Sprawdzam", "Jeszcze chwila", "Juz prawie"):  # each reply queues a root update
        await agent_reply(services, ticket.id, text)
        await drain(runtime.dispatcher, clock)
    # Only the first reply changed the root (open -> waiting); the others left it as it was.
    assert [view.status for view in chat.roots] == ["waiting"]
    services.tickets.add_shop_message(shop=owner, ticket_id=ticket.id, body="Dziekuje")
    await drain(runtime.dispatcher, clock)
    assert [view.status for view in chat.roots] == ["waiting", "open"]
    updates = [i for i in outbox(services) if i.operation == "update_root"]
    assert sum(bool(i.result.get("unchanged")) for i in updates) == 2
