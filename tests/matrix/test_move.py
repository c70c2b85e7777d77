"""`!move` through a real Synapse: the ticket's thread follows it from room to room."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pomoc.homeserver import Homeserver
from tests.matrix.conftest import build_harness, close_harness


@pytest.fixture
async def two_rooms(homeserver: Homeserver, database_url: str, tmp_path: Path) -> AsyncIterator:
    harness = await build_harness(homeserver, database_url, tmp_path, own_room="returns")
    await harness.start_pomoc()
    yield harness
    await close_harness(harness)


async def test_a_ticket_moved_to_another_room_continues_there_and_the_old_thread_points_on(
    two_rooms,
):
    h, returns = two_rooms, two_rooms.rooms["returns"]
    ticket_id = await h.open_ticket("Zwrot towaru")
    root = await h.root(ticket_id)
    assert root.room_id == h.room_id

    await h.anna.reply(h.room_id, root.event_id, "!move returns")
    answer = await h.in_thread(root, lambda m: m.body.startswith(f"Zgłoszenie #{ticket_id} "))
    assert answer.body == f"Zgłoszenie #{ticket_id} przeniesione do działu returns."
    new_root = await h.anna.wait_for(
        lambda m: m.room_id == returns and m.thread_root is None and f"#{ticket_id} " in m.body
    )
    assert "Przeniesione z działu other przez: Anna z supportu." in new_root.body
    away = (
        "Przeniesione do działu returns przez: Anna z supportu; dalej w nowym wątku na "
        f"{returns} (matrix)."
    )
    told = await h.in_thread(root, lambda m: "Przeniesione do działu" in m.body)
    assert told.body.endswith(away)
    edited = await h.anna.wait_for(
        lambda m: m.room_id == h.room_id and m.body.startswith("* ") and away in m.body
    )
    assert f"#{ticket_id} " in edited.body  # the old root, edited to say where the ticket went

    await h.shop_writes(ticket_id, "Kiedy będzie zwrot?")
    await h.in_thread(new_root, lambda m: "Kiedy będzie zwrot?" in m.body)
    await h.anna.reply(returns, new_root.event_id, "Zwrot zlecony, jutro na koncie")
    await h.shop_sees(ticket_id, lambda m: m["body"] == "Zwrot zlecony, jutro na koncie")

    await h.anna.reply(h.room_id, root.event_id, "Jeszcze jedno pytanie")
    pointer = await h.in_thread(root, lambda m: "przeniesiono do działu returns" in m.body)
    assert pointer.body == (
        f"⚠️ Zgłoszenie #{ticket_id} przeniesiono do działu returns; jest teraz w nowym wątku na "
        f"{returns} (matrix). Twoja wiadomość nie trafiła do sklepu: zapisano ją jako notatkę "
        "wewnętrzną zgłoszenia."
    )
    view = await h.shop_view(ticket_id)
    assert [m["body"] for m in view["messages"] if m["author"] == "agent"] == [
        "Zwrot zlecony, jutro na koncie"
    ]
