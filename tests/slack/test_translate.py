"""The pure Slack translation: escaping, Block Kit, mrkdwn -> text, payloads -> events."""

from datetime import UTC, datetime

import pytest

from adapters.slack import blocks, translate
from bot.commands import Help, SetPriority
from bot.events import Agent, AgentCommand, ThreadMessage, ThreadRef
from bot.richtext import RichText
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
        "page_url": "http://pomoc/agent/tickets/42?exp=1&sig=s",
        "suggestions": (Suggestion("p24", "P24 <klucz>", "https://pomoc.pl/p24", 1.0),),
        "mention": "<!subteam^S1>",
    }
    return TicketView(**{**fields, **changes})


def mrkdwn_texts(blocks_: list) -> list[str]:
    """Every text Slack would format or parse (mrkdwn objects, anywhere in the blocks)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks_)
    return found


def literal_texts(blocks_: list) -> list[str]:
    """The texts Slack shows literally: rich_text text elements."""
    return [
        element["text"]
        for block in blocks_
        if block["type"] == "rich_text"
        for section in block["elements"]
        for element in section["elements"]
        if element["type"] == "text"
    ]


def test_root_blocks_keep_shop_text_literal_but_the_configured_mention_pages():
    blocks_ = translate.ticket_blocks(view(), "pl")
    formatted = "\n".join(mrkdwn_texts(blocks_))
    assert "<!subteam^S1>" in formatted  # on-call comes from the config
    for raw in ("<!channel>", "<@U1>", "<Syn>", "<klucz>"):
        assert raw not in formatted  # nothing the shop wrote is ever parsed as mrkdwn
    assert "<!channel> awaria" in literal_texts(blocks_)  # shown as typed, never a ping
    assert "<@U1> pomocy" in literal_texts(blocks_)
    assert "Sklep: Sklep & <Syn>" in str(blocks_)  # a plain_text field
    assert "'url': 'https://sklep.pl/o?a=1&b=|x'" in str(blocks_)  # a link element
    assert "<https://pomoc.pl/p24|P24 &lt;klucz&gt;>" in formatted
    assert "krytyczny" in str(blocks_)
    assert [b["action_id"] for b in blocks_[-1]["elements"]] == [
        "pomoc_claim",
        "pomoc_resolve",
        "pomoc_critical",
    ]
    assert len(blocks_) <= 50


def test_a_resolved_root_offers_reopen_instead():
    resolved = translate.ticket_blocks(view(status="resolved"), "pl")
    assert [b["action_id"] for b in resolved[-1]["elements"]] == ["pomoc_reopen"]


def test_the_root_of_a_thread_the_ticket_left_offers_no_buttons():
    left = translate.ticket_blocks(view(left=True), "pl")
    assert [b["type"] for b in left if b["type"] == "actions"] == []
    assert left == translate.ticket_blocks(view(), "pl")[:-1]


def test_long_body_is_split_within_the_limits_and_never_cut():
    body = ("słowo " * 2000).strip()  # 11,999 characters
    blocks_ = translate.ticket_blocks(view(body=body, mention=None), "pl")
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks_)
    assert all(len(t) <= 3000 for t in literal_texts(blocks_))
    assert len(blocks_) <= 50
    shown = " ".join(t for t in literal_texts(blocks_) if t.startswith("słowo"))
    assert shown == body


def test_message_names_the_shop_and_keeps_its_text_literal():
    message = MessageView(1, 42, "shop", "Sklep *Ani*", "a <!here> & *b* _c_")
    [(fallback, blocks_)] = translate.message_posts(message, "pl")
    assert fallback == "🏪 Sklep *Ani*: a &lt;!here&gt; &amp; *b* _c_"
    assert literal_texts(blocks_) == ["🏪 ", "Sklep *Ani*", ": ", "a <!here> & *b* _c_"]
    assert mrkdwn_texts(blocks_) == []


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("<@U1> hej", "@Anna Nowak hej"),
        ("<@U2|basia> hej", "@basia hej"),
        ("<http://x.pl|etykieta>", "etykieta (http://x.pl)"),
        ("<http://x.pl>", "http://x.pl"),
        ("<mailto:a@b.pl|a@b.pl>", "a@b.pl"),  # Slack's automatic links are not doubled
        ("<http://status.example.com|status.example.com>", "status.example.com"),
        ("<#C1>", "#wsparcie"),
        (":white_check_mark: gotowe", "✅ gotowe"),
        ("*ważne* i _kursywa_ i ~skreślone~", "ważne i kursywa i skreślone"),
        ("a &amp; b &lt;3 &gt;", "a & b <3 >"),
        ("<!channel> <!here>", "@channel @here"),
        ("<#C1|support>", "#support"),
        ("2*3*4 snake_case_name", "2*3*4 snake_case_name"),
        ("&amp;lt;", "&lt;"),
    ],
)
def test_to_plain(mrkdwn, plain):
    names = {"U1": "Anna Nowak", "C1": "wsparcie"}
    assert blocks.to_plain(mrkdwn, names.get, names.get) == plain


def test_thread_reply_and_commands():
    ts = "1764583200.250000"  # 2025-12-01 10:00:00.25 UTC
    event = {"channel": "C1", "user": "UANNA", "text": "x", "ts": ts, "thread_ts": "1.0"}
    assert translate.is_thread_reply(event)
    assert not translate.is_thread_reply({**event, "thread_ts": ts})
    assert not translate.is_thread_reply({k: v for k, v in event.items() if k != "thread_ts"})
    said = translate.Said(RichText("x"))
    sent = datetime(2025, 12, 1, 10, 0, 0, 250000, tzinfo=UTC)  # for the relay latency
    assert translate.thread_message("Ev1", event, ANNA, said) == ThreadMessage(
        "Ev1", ThreadRef("slack", "C1", "1.0"), ts, ANNA, "x", sent_at=sent
    )
    assert translate.thread_message("Ev1", {**event, "ts": "x"}, ANNA, said).sent_at is None
    command = translate.slash_command(
        "command:t", {"text": "priority #42 critical", "trigger_id": "t"}, ANNA
    )
    assert (command.command, command.ticket_id) == (SetPriority(Priority.CRITICAL), 42)
    empty = translate.slash_command("command:t", {"text": "", "trigger_id": "t"}, ANNA)
    assert empty.command == Help()
    stats = translate.slash_command("command:t", {"text": "Stats", "trigger_id": "t"}, ANNA)
    assert stats.ticket_id is None
    action = {"action_id": "pomoc_critical", "value": "42", "action_ts": "9.9"}
    pressed = translate.action_command("action:UANNA:pomoc_critical:9.9", action, ANNA)
    assert pressed == AgentCommand(
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
    assert blocks.to_plain("użyj `CRC-123` i\n```\nlinia 1\n```") == "użyj CRC-123 i\nlinia 1"


def test_slash_command_in_a_thread_uses_the_thread():
    command = translate.slash_command(
        "command:t",
        {"text": "claim", "trigger_id": "t", "channel_id": "C1", "thread_ts": "1.0"},
        ANNA,
    )
    assert (command.thread, command.ticket_id) == (ThreadRef("slack", "C1", "1.0"), None)


def test_reply_action_is_keyed_by_the_message():
    message = {"user": "UANNA", "ts": "2.0", "thread_ts": "1.0", "text": "x"}
    said = translate.Said(RichText("x"))
    event = translate.reply_action("reply:C1:2.0", "C1", message, ANNA, said)
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
