"""The pure Matrix translation: rendering, escaping, mentions and raw events -> bot.events."""

from datetime import UTC, datetime
from pathlib import Path

from adapters.matrix import translate
from adapters.matrix.outbound import transaction_id
from bot.commands import Stats
from bot.events import (
    AgentCommand,
    CommandReply,
    InboundFile,
    ThreadMessage,
    ThreadMessageDeleted,
    ThreadMessageEdited,
    ThreadRef,
)
from bot.views import AttachmentView, MessageView, Suggestion, TicketView
from tests.helpers import ANNA


def ticket(**changes) -> TicketView:
    values = dict(
        id=7,
        shop_name="Sklep <Ani>",
        title="Koszyk @room <b>x</b>",
        body="tresc",
        status="open",
        priority="normal",
        department="payments",
        assignee=None,
        order_url="https://sklep.pl/zamowienie/1?a=1&b=2",
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        panel_url="http://127.0.0.1:8000/inbox/7",
        suggestions=(Suggestion("p24-crc", "Klucz CRC", "https://pomoc/p24", 3.0),),
        signals=("critical:awaria",),
    )
    values.update(changes)
    return TicketView(**values)


def test_root_shows_the_ticket_and_escapes_shop_text():
    content = translate.root_content(ticket())
    body, markup = content["body"], content["formatted_body"]
    assert body.startswith("#7 Koszyk @\u2060room <b>x</b>")
    assert "@room" not in body and "@room" not in markup
    assert "<b>x</b>" not in markup and "&lt;b&gt;x&lt;/b&gt;" in markup
    assert "Sklep &lt;Ani&gt;" in markup
    for text in ("payments", "normal", "open", "Klucz CRC", "inbox/7", "critical:awaria"):
        assert text in body
    assert 'href="https://sklep.pl/zamowienie/1?a=1&amp;b=2"' in markup
    assert content["m.mentions"] == {}


def test_root_pages_the_mentioned_user_only():
    content = translate.root_content(ticket(mention="@dyzurny:localhost", priority="critical"))
    assert content["m.mentions"] == {"user_ids": ["@dyzurny:localhost"]}
    assert "@dyzurny:localhost" in content["body"]
    assert '<a href="https://matrix.to/#/@dyzurny:localhost">' in content["formatted_body"]


def test_root_update_is_a_replace_that_pages_nobody():
    content = translate.root_edit_content("$root", ticket(mention="@dyzurny:localhost"))
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$root"}
    assert content["m.mentions"] == {}
    assert content["m.new_content"]["body"].startswith("@dyzurny:localhost #7")


def test_messages_in_the_thread():
    shop = MessageView(id=1, ticket_id=7, author="shop", author_name="Sklep Ani", body="@room hej")
    content = translate.message_content(shop, "$root")
    assert content["msgtype"] == "m.text"
    assert content["body"].endswith("Sklep Ani: @\u2060room hej")
    assert content["m.relates_to"]["event_id"] == "$root"
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    bot = MessageView(id=2, ticket_id=7, author="bot", author_name="Pomoc", body="<i>")
    notice = translate.message_content(bot, "$root")
    assert notice["msgtype"] == "m.notice" and notice["formatted_body"] == "&lt;i&gt;"
    reply = translate.command_reply_content(CommandReply("nope", ok=False), "$root")
    assert reply["msgtype"] == "m.notice" and "nope" in reply["body"]


def test_attachment_content(tmp_path: Path):
    view = AttachmentView(1, "a.png", "image/png", 3, tmp_path / "a")
    content = translate.attachment_content(view, "mxc://localhost/abc", "$root")
    assert (content["msgtype"], content["url"]) == ("m.image", "mxc://localhost/abc")


def raw(content: dict, **extra) -> dict:
    return {"type": "m.room.message", "event_id": "$e1", "sender": "@anna:test", **extra} | {
        "content": content
    }


def test_thread_reply_becomes_a_thread_message():
    event = translate.to_event(
        "!room",
        raw(
            {
                "msgtype": "m.text",
                "body": "hej",
                "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"},
            }
        ),
        ANNA,
        command_prefix="!",
    )
    assert event == ThreadMessage(
        event_id="$e1",
        thread=ThreadRef("matrix", "!room", "$root"),
        message_id="$e1",
        agent=ANNA,
        text="hej",
    )


def test_plain_room_messages_are_not_for_the_core():
    message = raw({"msgtype": "m.text", "body": "hej !stats"})
    assert not translate.is_relevant(message, command_prefix="!")
    assert translate.to_event("!room", message, ANNA, command_prefix="!") is None


def test_command_in_the_room_is_an_agent_command_without_a_thread():
    message = raw({"msgtype": "m.text", "body": " !Stats week"})
    assert translate.is_relevant(message, command_prefix="!")
    assert translate.to_event("!room", message, ANNA, command_prefix="!") == AgentCommand(
        event_id="$e1", platform="matrix", agent=ANNA, command=Stats()
    )
    for body in ("!", "! stats", "!1"):
        assert not translate.is_relevant(
            raw({"msgtype": "m.text", "body": body}), command_prefix="!"
        )
    notice = raw({"msgtype": "m.notice", "body": "!stats"})  # bots answer with notices
    assert not translate.is_relevant(notice, command_prefix="!")
    reply = translate.command_reply_content(CommandReply("3 open"), None)
    assert reply["msgtype"] == "m.notice" and "m.relates_to" not in reply


def test_edit_and_redaction():
    edit = raw(
        {
            "msgtype": "m.text",
            "body": "* nowe",
            "m.new_content": {"msgtype": "m.text", "body": "nowe"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
        }
    )
    assert translate.to_event("!room", edit, ANNA, command_prefix="!") == ThreadMessageEdited(
        event_id="$e1", platform="matrix", message_id="$old", agent=ANNA, text="nowe"
    )
    redaction = {"type": "m.room.redaction", "event_id": "$r", "content": {"redacts": "$old"}}
    assert translate.to_event("!room", redaction, ANNA, command_prefix="!") == ThreadMessageDeleted(
        event_id="$r", platform="matrix", message_id="$old", agent=ANNA
    )


def test_file_in_a_thread_carries_the_downloaded_file():
    image = raw(
        {
            "msgtype": "m.image",
            "body": "zrzut.png",
            "url": "mxc://localhost/x",
            "info": {"mimetype": "image/png"},
            "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"},
        }
    )
    assert translate.media_of(image) == ("mxc://localhost/x", "zrzut.png", "image/png")
    file = InboundFile("zrzut.png", "image/png", b"png")
    event = translate.to_event("!room", image, ANNA, (file,), command_prefix="!")
    assert event.files == (file,) and event.text == ""


def test_reply_fallback_is_stripped():
    message = raw(
        {
            "msgtype": "m.text",
            "body": "> <@bob:test> stare\n\nnowe",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": "$root",
                "m.in_reply_to": {"event_id": "$x"},
            },
        }
    )
    assert translate.to_event("!room", message, ANNA, command_prefix="!").text == "nowe"


def test_transaction_ids_are_stable_per_key():
    assert transaction_id("k1") == transaction_id("k1") != transaction_id("k2")
