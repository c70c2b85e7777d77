"""Several instances: only the leader syncs Matrix; a new leader resumes where the old one left."""

# Several instances: only the leader syncs Matrix; a new leader resumes where the old one stopped,
# so nothing is missed and nothing is applied twice.

import asyncio

from adapters.matrix.adapter import MatrixAdapter
from pomoc.runtime import MATRIX_SYNC_KEY
from storage.sync_state import StoredValue
from tests.matrix.test_matrix_adapter import processed


async def test_only_the_leader_syncs_and_a_new_leader_resumes(matrix):
    services = matrix.services
    leads = False
    follower = MatrixAdapter(
        config=services.config,
        secrets=services.ctx.secrets,
        tokens=StoredValue(services.db, services.ctx.clock, key=MATRIX_SYNC_KEY),
        may_sync=lambda: leads,
    )
    await follower.start(services.desk.handle)
    try:
        ticket_id = await matrix.open_ticket("Dwie instancje")
        root = await matrix.root(ticket_id)
        await matrix.anna.reply(matrix.room_id, root.event_id, "Do lidera")
        await processed(matrix, "Do lidera")
        await asyncio.sleep(1.0)
        assert not follower.synced.is_set()  # the follower has not synced at all

        await matrix.stop_pomoc()  # the leader dies
        await matrix.anna.reply(matrix.room_id, root.event_id, "Po awarii lidera")
        leads = True  # the follower wins the election
        await processed(matrix, "Po awarii lidera")
        assert follower.synced.is_set()
        view = await matrix.shop_view(ticket_id)
        agent = [m["body"] for m in view["messages"] if m["author"] == "agent"]
        assert agent == ["Do lidera", "Po awarii lidera"]
    finally:
        await follower.stop()
