"""The weekly report in the managers' Matrix room: the text as a notice and the chart as an
`m.image` whose bytes are the PNG, each once (real Synapse)."""

import html

from sqlmodel import select

from bot.views import PictureView
from bot.vocabulary import OutboxState
from bot.weekly import prepare, send_weekly
from storage.models import OutboxItem
from tests.matrix.conftest import build_harness, close_harness, eventually
from tests.scheduling.conftest import warsaw


async def content_of(harness, event_id: str) -> dict:
    response = await harness.anna.client.room_get_event(harness.room_id, event_id)
    return response.event.source["content"]


async def test_the_managers_room_gets_the_text_and_the_chart(homeserver, database_url, tmp_path):
    harness = await build_harness(homeserver, database_url, tmp_path, managers_here=True)
    harness.clock.set(warsaw(2026, 11, 30, 9, 0))
    weekly = prepare(harness.services.ctx, harness.clock.now())
    await harness.start_pomoc()
    try:
        assert send_weekly(harness.services.ctx)
        bot = harness.adapter.user_id
        text = await harness.anna.wait_for(
            lambda m: m.sender == bot and m.body.startswith("📊 Pomoc: raport tygodniowy")
        )
        image = await harness.anna.wait_for(lambda m: m.body == weekly.alt_text)
        assert (await content_of(harness, text.event_id))["msgtype"] == "m.notice"
        assert text.body == f"{weekly.text}\n{weekly.link.plain}"
        formatted = (await content_of(harness, text.event_id))["formatted_body"]
        assert formatted.endswith(
            f'<br><a href="{html.escape(weekly.link.url)}">Szczegóły i CSV</a>'
        )

        content = await content_of(harness, image.event_id)
        assert content["msgtype"] == "m.image"
        assert content["filename"] == "pomoc-2026-W48.png"
        info = content["info"]
        assert (info["w"], info["h"], info["mimetype"]) == (1200, 1500, "image/png")
        assert info["size"] == len(weekly.chart)
        assert info["thumbnail_url"].startswith("mxc://")  # Element shows it inline
        download = await harness.anna.client.download(mxc=content["url"])
        assert download.body == weekly.chart

        async def delivered() -> bool:
            with harness.services.db.transaction() as session:
                item = session.exec(
                    select(OutboxItem).where(OutboxItem.idempotency_key == weekly.key)
                ).one()
                return item.state == OutboxState.DONE

        await eventually(delivered)
        assert not any(harness.services.ctx.files.directory.rglob("*.png"))
    finally:
        await close_harness(harness)


async def test_a_retry_gets_the_same_events_back(matrix):
    """Transaction ids from the key: a retry after a crash creates no second notice or image."""
    weekly = prepare(matrix.services.ctx, warsaw(2026, 11, 30, 9, 0))
    picture = PictureView("pomoc-2026-W48.png", weekly.alt_text, "image/png", weekly.chart)
    adapter, room = matrix.adapter, matrix.room_id
    first = await adapter.announce(
        channel=room, text=weekly.text, key=weekly.key, retry=False, picture=picture
    )
    again = await adapter.announce(
        channel=room, text=weekly.text, key=weekly.key, retry=True, picture=picture
    )
    assert again == first
    await matrix.anna.wait_for(lambda m: m.body == weekly.alt_text)
    await matrix.anna.wait_for(lambda m: m.event_id == first)
    marker = await adapter.announce(channel=room, text="koniec", key="marker", retry=False)
    await matrix.anna.wait_for(lambda m: m.event_id == marker)  # everything before it arrived
    images = [m for m in matrix.anna.seen if m.body == weekly.alt_text]
    texts = [m for m in matrix.anna.seen if m.body == weekly.text]
    assert len(images) == 1 and len(texts) == 1
