"""An agent's reply through a real Synapse is timed from the homeserver's `origin_server_ts`."""

from datetime import UTC, datetime, timedelta

from tests.matrix.test_bridge import send


def relayed(matrix, le: str) -> float:
    labels = {"platform": "matrix", "le": le}
    return matrix.runtime.metrics.get_sample_value("pomoc_relay_latency_seconds_bucket", labels)


async def test_a_matrix_reply_is_timed_from_the_homeservers_stamp(matrix):
    ticket_id = await matrix.open_ticket("Nie działa kod rabatowy")
    root = await matrix.root(ticket_id)
    # Our clock 20 s ahead of the homeserver's: the reply waited between 10 and 20 seconds.
    matrix.clock.set(datetime.now(UTC) + timedelta(seconds=20))
    reply = {
        "msgtype": "m.text",
        "body": "Sprawdzam kod",
        "m.relates_to": {"rel_type": "m.thread", "event_id": root.event_id},
    }
    await send(matrix, reply)
    await matrix.shop_sees(ticket_id, lambda m: m["body"] == "Sprawdzam kod")
    assert (relayed(matrix, "10.0"), relayed(matrix, "30.0"), relayed(matrix, "+Inf")) == (0, 1, 1)
