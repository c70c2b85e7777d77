"""An agent's Slack reply is timed from its `ts` to the reply stored for the shop."""

from tests.slack.conftest import opened_thread, panel_messages, reply_event, send_event


def relayed(runtime, le: str) -> float:
    labels = {"platform": "slack", "le": le}
    return runtime.metrics.get_sample_value("pomoc_relay_latency_seconds_bucket", labels)


async def test_a_slack_reply_is_timed_from_the_messages_ts(runtime, http, shop_token, clock):
    ticket_id, thread_ts = await opened_thread(runtime, http, shop_token)
    written = clock.now().timestamp() - 0.4  # Slack stamped it 400 ms before we stored it
    event = reply_event(thread_ts, "Sprawdzamy", ts=f"{written:.6f}", event_ts=f"{written:.6f}")
    assert (await send_event(http, event)).status_code == 200
    assert (await panel_messages(http, shop_token, ticket_id))[-1]["body"] == "Sprawdzamy"
    assert (relayed(runtime, "0.25"), relayed(runtime, "0.5"), relayed(runtime, "+Inf")) == (
        0,
        1,
        1,
    )
    total = runtime.metrics.get_sample_value(
        "pomoc_relay_latency_seconds_sum", {"platform": "slack"}
    )
    assert abs(total - 0.4) < 1e-3
