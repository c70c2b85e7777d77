"""The pure Slack translation: escaping, Block Kit, mrkdwn -> text, payloads -> events."""

from datetime import UTC, datetime

import pytest

from adapters.slack import translate
from bot.commands import Help, SetPriority
from bot.events import Agent, AgentCommand, ThreadMessage, ThreadRef
from bot.views import MessageView, Suggestion, TicketView
from bot.vocabulary import Priority

ANNA = Agent("slack", "UANNA", "Anna")


def view(**changes) -> TicketView:
    fields = {
        "id": 42,
        "shop_name": "Sklep & <Syn>",
        "title": "<!channel> awaria",
        "body": "<@U1> pomocy",
        "status": "open",
        "priority": "critical",
        "department": "payments",
        "assignee": "Anna",
        "order_url": "https://sklep.pl/o?a=1&b=|x",
        "created_at": datetime(2026, 11, 25, tzinfo=UTC),
        "panel_url": "http://pomoc/panel/tickets/42",
        "suggestions": (Suggestion("p24", "P24 <klucz>", "https://pomoc.pl/p24", 1.0),),
        "mention": "<!subteam^S1>",
    }
    return TicketView(**{**fields, **changes})


def test_root_blocks_escape_shop_text_but_keep_the_configured_mention():
    blocks = translate.ticket_blocks(view())
    text = str(blocks)
    assert "<!subteam^S1>" in text  # on-call comes from the config
    for raw in ("<!channel>", "<@U1>", "<Syn>", "<klucz>"):
        assert raw not in text
    assert "&lt;!channel&gt; awaria" in text and "Sklep &amp; &lt;Syn&gt;" in text
    assert "<https://sklep.pl/o?a=1&amp;b=%7Cx|" in text
    assert "<https://pomoc.pl/p24|P24 &lt;klucz&gt;>" in text
    assert "krytyczny" in text
    assert [b["action_id"] for b in blocks[-1]["elements"]] == [
        "pomoc_claim",
        "pomoc_resolve",
        "pomoc_critical",
    ]
    assert len(blocks) <= 50


def test_long_body_fits_a_section():
    blocks = translate.ticket_blocks(view(body="x" * 10_000, mention=None))
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_message_text_names_the_shop_and_escapes():
    message = MessageView(1, 42, "shop", "Sklep Ani", "a <!here> & b")
    assert translate.message_text(message) == "🏪 *Sklep Ani*: a &lt;!here&gt; &amp; b"
    assert translate.message_blocks(message)[0]["text"]["verbatim"] is True


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("<@U1> hej", "@Anna Nowak hej"),
        ("<@U2|basia> hej", "@basia hej"),
        ("<http://x.pl|etykieta>", "etykieta (http://x.pl)"),
        ("<http://x.pl>", "http://x.pl"),
        ("<mailto:a@b.pl|a@b.pl>", "a@b.pl (mailto:a@b.pl)"),
        ("*ważne* i _kursywa_ i ~skreślone~", "ważne i kursywa i skreślone"),
        ("a &amp; b &lt;3 &gt;", "a & b <3 >"),
        ("<!channel> <!here>", "@channel @here"),
        ("<#C1|support>", "#support"),
        ("2*3*4 snake_case_name", "2*3*4 snake_case_name"),
        ("&amp;lt;", "&lt;"),
    ],
)
def test_to_plain(mrkdwn, plain):
    names = {"U1": "Anna Nowak"}
    assert translate.to_plain(mrkdwn, lambda user: names.get(user, user)) == plain


def test_thread_reply_and_commands():
    event = {"channel": "C1", "user": "UANNA", "text": "x", "ts": "2.0", "thread_ts": "1.0"}
    assert translate.is_thread_reply(event)
    assert not translate.is_thread_reply({**event, "thread_ts": "2.0"})
    assert not translate.is_thread_reply({k: v for k, v in event.items() if k != "thread_ts"})
    assert translate.thread_message("Ev1", event, ANNA, "x") == ThreadMessage(
        "Ev1", ThreadRef("slack", "C1", "1.0"), "2.0", ANNA, "x"
    )
    command = translate.slash_command({"text": "priority #42 critical", "trigger_id": "t"}, ANNA)
    assert (command.command, command.ticket_id) == (SetPriority(Priority.CRITICAL), 42)
    assert translate.slash_command({"text": "", "trigger_id": "t"}, ANNA).command == Help()
    assert translate.slash_command({"text": "Stats", "trigger_id": "t"}, ANNA).ticket_id is None
    action = {"action_id": "pomoc_critical", "value": "42", "action_ts": "9.9"}
    assert translate.action_command({}, action, ANNA) == AgentCommand(
        event_id="action:UANNA:pomoc_critical:9.9",
        platform="slack",
        agent=ANNA,
        command=SetPriority(Priority.CRITICAL),
        ticket_id=42,
    )


def test_metadata_round_trip():
    message = {"metadata": translate.metadata("k1")}
    assert translate.metadata_key(message) == "k1"
    assert translate.metadata_key({"metadata": {"event_type": "other"}}) is None
    assert translate.metadata_key({}) is None


def test_code_spans_lose_their_backticks():
    assert translate.to_plain("użyj `CRC-123` i\n```\nlinia 1\n```") == "użyj CRC-123 i\nlinia 1"


def test_slash_command_in_a_thread_uses_the_thread():
    command = translate.slash_command(
        {"text": "claim", "trigger_id": "t", "channel_id": "C1", "thread_ts": "1.0"}, ANNA
    )
    assert (command.thread, command.ticket_id) == (ThreadRef("slack", "C1", "1.0"), None)


def test_reply_action_is_keyed_by_the_message():
    message = {"user": "UANNA", "ts": "2.0", "thread_ts": "1.0", "text": "x"}
    event = translate.reply_action("C1", message, ANNA, "x")
    assert event.via_reply_action and event.thread == ThreadRef("slack", "C1", "1.0")
    assert (event.event_id, event.message_id) == ("reply:C1:2.0", "2.0:reply")


def test_the_app_manifest_matches_the_listeners():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(translate.__file__).parent / "manifest.yaml").read_text())
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["callback_id"] == translate.REPLY_SHORTCUT
    assert manifest["features"]["slash_commands"][0]["command"] == "/pomoc"
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["features"]["slash_commands"][0]["url"],
    }
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
