"""Files across Slack: refused ones told to the agent, deletions take them along, Slack's
file hosts only, Slack Connect files through files.info; and the agents' own ticket page."""

import logging

from storage import repositories as repo
from storage.models import Attachment
from tests.helpers import PNG_1X1, auth, png
from tests.slack.conftest import (
    BOT_TOKEN,
    SUPPORT,
    opened_thread,
    panel_messages,
    reply_event,
    send_event,
)
from tests.slack.payloads import recorded


def shared(fake, file_id: str, name: str, data: bytes, mimetype: str, *, url: str = "") -> dict:
    url = url or fake.add_file(file_id, data)
    return {
        "id": file_id,
        "name": name,
        "mimetype": mimetype,
        "size": len(data),
        "url_private": url,
        "url_private_download": url,
    }


async def test_a_file_the_shop_may_not_receive_is_reported_to_the_agent(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    event = recorded("file_share_text_im.json", thread_ts=ts)
    event.update(channel=SUPPORT, thread_ts=ts, channel_type="channel", user="UANNA")
    [item] = event["files"]
    url = fake.add_file(item["id"], b"ERROR 502 Bad Gateway")
    item.update(url_private=url, url_private_download=url)
    assert (await send_event(http, event)).status_code == 200
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert (last["body"], last["attachments"]) == ("Przesyłam logi z aplikacji", [])
    [told] = fake.ephemerals
    assert "logi-aplikacji.txt (niedozwolony typ)" in told["text"]

    # Alone, too large, the file still does not vanish without a word.
    big = PNG_1X1 + b"\0" * (2 * 1024 * 1024)
    lone = reply_event(
        ts, "", subtype="file_share", files=[shared(fake, "F2", "duzy.png", big, "image/png")]
    )
    await send_event(http, lone)
    assert "duzy.png (za duży, limit 1 MB)" in fake.ephemerals[-1]["text"]


async def test_a_deleted_reply_takes_its_files_along(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    event = reply_event(
        ts,
        "Wzór",
        subtype="file_share",
        files=[shared(fake, "F1", "wzor.png", PNG_1X1, "image/png")],
    )
    await send_event(http, event)
    [attachment] = (await panel_messages(http, shop_token, ticket_id))[-1]["attachments"]
    assert (await http.get(attachment["url"], headers=auth(shop_token))).status_code == 200
    with runtime.core.db.transaction() as session:
        row = session.get(Attachment, attachment["id"])
    path = runtime.core.ctx.files.path(row.storage_key)
    assert path.exists()

    deleted = recorded("message_deleted.json", thread_ts=ts)
    deleted["deleted_ts"] = deleted["previous_message"]["ts"] = event["ts"]
    deleted["previous_message"]["user"] = "UANNA"
    await send_event(http, deleted)
    assert (await http.get(attachment["url"], headers=auth(shop_token))).status_code == 404
    assert not path.exists()


async def test_deleting_one_copy_keeps_bytes_another_attachment_shares(
    runtime, http, shop_token, fake
):
    response = await http.post(
        "/api/v1/tickets",
        headers=auth(shop_token),
        data={"title": "Zrzut ekranu", "body": "W załączniku"},
        files=[("files", png("ten-sam.png"))],
    )
    ticket_id = response.json()["id"]
    await runtime.dispatcher.deliver_once()
    with runtime.core.db.transaction() as session:
        ts = repo.thread_for_ticket(session, ticket_id).thread_id
    event = reply_event(
        ts,
        "To samo",
        subtype="file_share",
        files=[shared(fake, "F1", "kopia.png", PNG_1X1, "image/png")],
    )
    await send_event(http, event)
    await send_event(
        http,
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": SUPPORT,
            "ts": "9.9",
            "deleted_ts": event["ts"],
            "previous_message": event,
        },
    )
    [shop_file] = (await panel_messages(http, shop_token, ticket_id))[0]["attachments"]
    served = await http.get(shop_file["url"], headers=auth(shop_token))
    assert served.status_code == 200 and served.content == PNG_1X1


async def test_only_slacks_file_hosts_get_the_bot_token(runtime, http, shop_token, fake, caplog):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    elsewhere = fake.add_file("F9", PNG_1X1).replace("127.0.0.1", "localhost")
    event = reply_event(
        ts,
        "Plik z zewnątrz",
        subtype="file_share",
        files=[shared(fake, "F9", "obcy.png", PNG_1X1, "image/png", url=elsewhere)],
    )
    with caplog.at_level(logging.WARNING):
        await send_event(http, event)
    assert fake.downloads == []  # no request at all, so no token went anywhere
    assert any("not a Slack file host" in r.getMessage() for r in caplog.records)
    assert "obcy.png (nie udało się pobrać)" in fake.ephemerals[-1]["text"]
    assert (await panel_messages(http, shop_token, ticket_id))[-1]["attachments"] == []


async def test_a_slack_connect_file_is_fetched_through_files_info(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    event = recorded("file_share_check_file_info.json", thread_ts=ts)
    event.update(channel=SUPPORT, thread_ts=ts, channel_type="channel", user="UANNA")
    fake.file_infos["F0ZALACZNIK"] = shared(
        fake, "F0ZALACZNIK", "faktura.png", PNG_1X1, "image/png"
    )
    await send_event(http, event)
    assert [c.params["file"] for c in fake.calls_of("files.info")] == ["F0ZALACZNIK"]
    assert fake.downloads == [{"auth": f"Bearer {BOT_TOKEN}"}]
    last = (await panel_messages(http, shop_token, ticket_id))[-1]
    assert last["body"] == "W załączniku faktura"
    assert [a["filename"] for a in last["attachments"]] == ["faktura.png"]


async def test_the_root_links_agents_to_their_read_only_page(runtime, http, shop_token, fake):
    ticket_id, ts = await opened_thread(runtime, http, shop_token, body="Opis dla agentów")
    await send_event(http, reply_event(ts, "!note wewnętrzna uwaga"))
    root = fake.find(SUPPORT, ts)
    [context] = [b for b in root["blocks"] if b["type"] == "context"]
    link = context["elements"][0]["text"].split("|")[0].lstrip("<").replace("&amp;", "&")
    path = link.split("127.0.0.1:8000", 1)[1]
    assert path.startswith(f"/agent/tickets/{ticket_id}?exp=")
    page = await http.get(path)
    assert page.status_code == 200
    assert "Opis dla agentów" in page.text and "wewnętrzna uwaga" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await http.get(path.replace("sig=", "sig=x"))).status_code == 403
    other = path.replace(f"/tickets/{ticket_id}?", f"/tickets/{ticket_id + 1}?")
    assert (await http.get(other)).status_code == 403
