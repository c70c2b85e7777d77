"""Only members of the department channels act, and only on their own channels' tickets."""

from tests.slack.conftest import (
    ANNA,
    BASIA,
    PAYMENTS,
    SUPPORT,
    click,
    opened_thread,
    reply_event,
    send_event,
    slash,
)

OUTSIDER = "UOBCY"


def ticket_status(runtime, ticket_id: int) -> tuple[str, str | None]:
    from storage.models import Ticket

    with runtime.core.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket.status, ticket.assignee


async def test_a_workspace_member_outside_every_department_channel_cannot_act(
    runtime, http, shop_token, fake
):
    fake.add_user(OUTSIDER, "Ktoś Obcy")
    fake.members = {SUPPORT: {ANNA, "UBOT"}, PAYMENTS: {BASIA, "UBOT"}}
    ticket_id, _ts = await opened_thread(runtime, http, shop_token)
    await slash(http, fake, f"resolve {ticket_id}", user=OUTSIDER)  # e.g. typed in a DM
    assert "nie jesteś na liście" in fake.responses[-1]["text"].lower()
    await click(http, fake, "pomoc_resolve", ticket_id, user=OUTSIDER)
    assert ticket_status(runtime, ticket_id) == ("open", None)


async def test_an_agent_acts_only_on_tickets_of_a_channel_they_are_in(
    runtime, http, shop_token, fake
):
    fake.members = {SUPPORT: {ANNA, "UBOT"}, PAYMENTS: {BASIA, "UBOT"}}
    ticket_id, _ts = await opened_thread(runtime, http, shop_token)  # in SUPPORT
    await slash(http, fake, f"claim {ticket_id}", user=BASIA)  # Basia is in PAYMENTS only
    assert "nie jesteś członkiem" in fake.responses[-1]["text"]
    assert ticket_status(runtime, ticket_id) == ("open", None)
    await slash(http, fake, f"claim {ticket_id}", user=ANNA)
    assert ticket_status(runtime, ticket_id) == ("open", "Anna Nowak")


async def test_joining_a_channel_lets_an_agent_act_there_at_once(runtime, http, shop_token, fake):
    fake.members = {SUPPORT: {ANNA, "UBOT"}, PAYMENTS: {BASIA, "UBOT"}}
    ticket_id, _ts = await opened_thread(runtime, http, shop_token)
    await slash(http, fake, f"claim {ticket_id}", user=BASIA)  # refused, and remembered
    joined = {"type": "member_joined_channel", "user": BASIA, "channel": SUPPORT}
    assert (await send_event(http, joined)).status_code == 200
    await slash(http, fake, f"claim {ticket_id}", user=BASIA)
    assert ticket_status(runtime, ticket_id) == ("open", "Basia Kowalska")
    left = {"type": "member_left_channel", "user": BASIA, "channel": SUPPORT}
    assert (await send_event(http, left)).status_code == 200
    await slash(http, fake, f"resolve {ticket_id}", user=BASIA)
    assert "nie jesteś członkiem" in fake.responses[-1]["text"]
    assert ticket_status(runtime, ticket_id)[0] == "open"


async def test_a_thread_reply_outside_the_department_channels_reaches_no_shop(
    runtime, http, shop_token, fake
):
    ticket_id, ts = await opened_thread(runtime, http, shop_token)
    elsewhere = {**reply_event(ts, "Z innego kanału"), "channel": "CRANDOM"}
    assert (await send_event(http, elsewhere)).status_code == 200
    view = (
        await http.get(
            f"/api/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {shop_token}"}
        )
    ).json()
    assert all("Z innego kanału" not in m["body"] for m in view["messages"])
