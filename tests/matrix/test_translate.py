"""The pure Matrix translation: rendering, escaping, mentions and raw events -> bot.events."""

from datetime import UTC, datetime
from pathlib import Path

from adapters.matrix import received, translate
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
        page_url="http://127.0.0.1:8000/agent/tickets/7?exp=1&sig=s",
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
    for text in ("payments", "normalny", "otwarte", "Klucz CRC", "tickets/7", "critical:awaria"):
        assert text in body
    assert "tresc" in body  # the shop's description, escaped like the rest
    assert 'href="https://sklep.pl/zamowienie/1?a=1&amp;b=2"' in markup
    assert content["m.mentions"] == {}


def test_the_root_of_a_thread_the_ticket_left_lists_no_commands():
    offered = translate.root_content(ticket())["body"]
    left = translate.root_content(ticket(left=True))["body"]
    assert offered.endswith(
        "\nPolecenia w wątku: !claim · !resolve · !priority critical · !assign @osoba · "
        "!move dział · !note …"
    )
    assert offered.startswith(left + "\n") and "!claim" not in left


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
    [content] = translate.message_contents(shop, "$root")
    assert content["msgtype"] == "m.text"
    assert content["body"].endswith("Sklep Ani: @\u2060room hej")
    assert content["m.relates_to"]["event_id"] == "$root"
    assert content["m.relates_to"]["rel_type"] == "m.thread"
    bot = MessageView(id=2, ticket_id=7, author="bot", author_name="Pomoc", body="<i>")
    [notice] = translate.message_contents(bot, "$root")
    assert notice["msgtype"] == "m.notice" and notice["formatted_body"].endswith(": &lt;i&gt;")
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
    event = received.to_event(
        "!room",
        raw(
            {
                "msgtype": "m.text",
                "body": "hej",
                "m.relates_to": {"rel_type": "m.thread", "event_id": "$root"},
            },
            origin_server_ts=1764583200250,
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
        # The homeserver's stamp, for the relay latency.
        sent_at=datetime(2025, 12, 1, 10, 0, 0, 250000, tzinfo=UTC),
    )


def test_plain_room_messages_are_not_for_the_core():
    message = raw({"msgtype": "m.text", "body": "hej !stats"})
    assert not received.is_relevant(message, command_prefix="!")
    assert received.to_event("!room", message, ANNA, command_prefix="!") is None


def test_command_in_the_room_is_an_agent_command_without_a_thread():
    message = raw({"msgtype": "m.text", "body": " !Stats week"})
    assert received.is_relevant(message, command_prefix="!")
    assert received.to_event("!room", message, ANNA, command_prefix="!") == AgentCommand(
        event_id="$e1",
        platform="matrix",
        agent=ANNA,
        command=Stats(),
        channel="!room",
        member_of=frozenset({"!room"}),
    )
    for body in ("!", "! stats", "!1"):
        assert not received.is_relevant(
            raw({"msgtype": "m.text", "body": body}), command_prefix="!"
        )
    notice = raw({"msgtype": "m.notice", "body": "!stats"})  # bots answer with notices
    assert not received.is_relevant(notice, command_prefix="!")
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
    assert received.to_event("!room", edit, ANNA, command_prefix="!") == ThreadMessageEdited(
        event_id="$e1", platform="matrix", message_id="$old", agent=ANNA, text="nowe"
    )
    redaction = {"type": "m.room.redaction", "event_id": "$r", "content": {"redacts": "$old"}}
    assert received.to_event("!room", redaction, ANNA, command_prefix="!") == ThreadMessageDeleted(
        event_id="$r", platform="matrix", message_id="$old", agent=ANNA
    )


def test_an_edit_whose_new_content_is_no_object_is_ignored():
    for new in ("nowe", ["nowe"], None, {"body": 1}):
        edit = raw(
            {
                "msgtype": "m.text",
                "body": "* nowe",
                "m.new_content": new,
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$old"},
            }
        )
        assert not received.is_relevant(edit, command_prefix="!")
        assert received.to_event("!room", edit, ANNA, command_prefix="!") is None


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
    assert received.media_of(image) == ("mxc://localhost/x", "zrzut.png", "image/png", 0)
    file = InboundFile("zrzut.png", "image/png", b"png")
    event = received.to_event(
        "!room", image, ANNA, received.Resolved(files=(file,)), command_prefix="!"
    )
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
    assert received.to_event("!room", message, ANNA, command_prefix="!").text == "nowe"


def test_transaction_ids_are_stable_per_key():
    assert transaction_id("k1") == transaction_id("k1") != transaction_id("k2")


# -- Element's shapes (tests/data/payloads/matrix) -------------------------------------------

PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "payloads" / "matrix"
ROOT = "$7ik_4DJp3soaocEIia_IUYdZH2wTO1GVlSb93NgaJfs"


def recorded(name: str) -> dict:
    import json

    return json.loads((PAYLOADS / name).read_text())


def test_reply_fallbacks_are_stripped_in_every_shape():
    legacy = recorded("reply_with_fallback_legacy.json")
    event = received.to_event("!room", legacy, ANNA, command_prefix="!")
    assert (event.thread.thread_id, event.text, event.html) == (
        ROOT,
        "Czy próbowała Pani zresetować hasło?",
        None,
    )
    for falling_back in (True, False):
        quoted = recorded("thread_quote_reply.json")
        quoted["content"]["m.relates_to"]["is_falling_back"] = falling_back
        quoted["content"]["body"] = (
            "> <@klient:example.org> Błąd 502\n\n" + quoted["content"]["body"]
        )
        event = received.to_event("!room", quoted, ANNA, command_prefix="!")
        assert event.text == "Czy błąd 502 pojawia się również w aplikacji mobilnej?"


def test_a_reply_outside_the_thread_names_the_event_it_answers_as_its_thread():
    reply = recorded("reply_outside_thread.json")
    assert received.is_relevant(reply, command_prefix="!")
    event = received.to_event("!room", reply, ANNA, command_prefix="!")
    assert event.thread.thread_id == ROOT  # the core takes it when that is a ticket's root
    assert received.thread_root(recorded("thread_reply_element.json")) == ROOT
    assert received.thread_root(recorded("edit_in_thread.json")) is None


def test_rich_text_becomes_the_safe_subset_and_its_plain_text():
    event = received.to_event(
        "!room",
        recorded("rich_text_html.json")
        | {
            "content": {
                **recorded("rich_text_html.json")["content"],
                "m.relates_to": {"rel_type": "m.thread", "event_id": ROOT},
            }
        },
        ANNA,
        command_prefix="!",
    )
    assert event.text.startswith("Dzień dobry, sprawdzam zgłoszenie, proszę chwilę poczekać.")
    assert "**" not in event.text and "pomoc@example.org (mailto" not in event.text
    assert "<strong>sprawdzam zgłoszenie</strong>" in event.html
    assert (
        '<a href="mailto:pomoc@example.org" target="_blank" rel="noopener noreferrer">'
        in event.html
    )


def test_pills_are_names_mentions_and_an_opening_pill_is_colleague_chatter():
    pill = recorded("pill_mention.json")
    pill["content"]["m.relates_to"] = {"rel_type": "m.thread", "event_id": ROOT}
    assert received.mentioned_ids(pill, received.text_of(pill)) == ["@kierownik:example.org"]
    event = received.to_event("!room", pill, ANNA, command_prefix="!", bot_id="@pomoc:example.org")
    assert event.text == "Ewa Wiśniewska, proszę o przejęcie zgłoszenia."
    assert event.to_colleague
    typed = raw(
        {
            "msgtype": "m.text",
            "body": "@Tomek zerkniesz?",
            "m.relates_to": {"rel_type": "m.thread", "event_id": ROOT},
        }
    )
    assert received.to_event("!room", typed, ANNA, command_prefix="!").to_colleague
    to_bot = raw(
        {
            "msgtype": "m.text",
            "body": "@pomoc:example.org pomóż",
            "m.relates_to": {"rel_type": "m.thread", "event_id": ROOT},
        }
    )
    assert not received.to_event(
        "!room", to_bot, ANNA, command_prefix="!", bot_id="@pomoc:example.org"
    ).to_colleague


def test_an_emote_reads_as_the_agent_doing_it():
    emote = recorded("emote.json")
    emote["content"]["m.relates_to"] = {"rel_type": "m.thread", "event_id": ROOT}
    event = received.to_event("!room", emote, ANNA, command_prefix="!")
    assert event.text == "Anna z supportu sprawdza logi serwera"
    assert event.html == "Anna z supportu sprawdza <strong>logi serwera</strong>"


def test_an_edit_carries_its_new_formatting():
    edit = recorded("edit_to_note.json")
    event = received.to_event("!room", edit, ANNA, command_prefix="!")
    assert event.text.startswith("!note Klient potwierdził")


def test_long_messages_are_split_and_nothing_is_lost():
    long = MessageView(id=1, ticket_id=7, author="shop", author_name="Sklep", body="słowo " * 3000)
    parts = translate.message_contents(long, "$root")
    assert len(parts) == 3 and all(len(p["body"]) <= 6100 for p in parts)
    assert (
        " ".join(p["body"] for p in parts).removeprefix("🛒 Sklep: ").strip()
        == ("słowo " * 3000).strip()
    )


def test_images_carry_their_size_and_thumbnail(tmp_path: Path):
    view = AttachmentView(1, "a.png", "image/png", 3, tmp_path / "a")
    info = translate.ImageInfo(1600, 900, b"thumbnail", 800, 450, thumbnail_url="mxc://hs/t")
    content = translate.attachment_content(view, "mxc://hs/a", "$root", info)
    assert content["info"]["w"] == 1600 and content["info"]["thumbnail_info"]["w"] == 800
