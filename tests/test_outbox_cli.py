"""`pomoc outbox`: an operator sees what waits or gave up, delivers it again, or drops it."""

from sqlmodel import col, select
from typer.testing import CliRunner

from bot.errors import DeliveryError, Failure
from pomoc.cli import app
from storage.models import AuditEntry, OutboxItem
from tests.fakes.chat import FakeChat
from tests.helpers import auth

runner = CliRunner()


def write_config(config, tmp_path) -> str:
    path = tmp_path / "pomoc.toml"
    path.write_text(f'[database]\nurl = "{config.database.url}"\n')
    return str(path)


async def open_ticket(client, token: str, title: str) -> int:
    response = await client.post(
        "/api/v1/tickets", headers=auth(token), data={"title": title, "body": "Pomocy?"}
    )
    assert response.status_code == 201
    return response.json()["id"]


def items(services) -> list[OutboxItem]:
    with services.db.transaction() as session:
        return list(session.exec(select(OutboxItem).order_by(col(OutboxItem.id))))


async def test_list_retry_and_drop(
    client, runtime, services, chat: FakeChat, shop_token, config, tmp_path, clock
):
    path = write_config(config, tmp_path)
    blocked = await open_ticket(client, shop_token, "Zmiana logo")
    chat.fail_next = [
        DeliveryError("not_in_channel", failure=Failure.CHANNEL, code="not_in_channel")
    ]
    await runtime.dispatcher.deliver_once()
    listed = runner.invoke(app, ["outbox", "list", "--state", "blocked", "--config", path])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert lines[0].startswith("id\tstate\tticket\toperation\tdepartment\tchannel")
    (row,) = lines[1:]
    assert f"\t{blocked}\topen_thread\tother\tmatrix:!support:test\t" in row
    assert "not_in_channel" in row
    assert "blocked: matrix:!support:test" in listed.stderr

    # The operator fixes the room and says so: it is probed at once, and delivered.
    retried = runner.invoke(
        app, ["outbox", "retry", "--channel", "!support:test", "--config", path]
    )
    assert retried.exit_code == 0 and "1 item(s)" in retried.output
    await runtime.dispatcher.deliver_once()
    assert [item.state for item in items(services)] == ["done"]

    dead = await open_ticket(client, shop_token, "Szablon sklepu")
    chat.fail_next = [DeliveryError("too long", failure=Failure.PERMANENT)]
    await runtime.dispatcher.deliver_once()
    assert items(services)[-1].state == "dead"
    shown = runner.invoke(app, ["outbox", "list", "--state", "dead", "--config", path])
    assert f"\t{dead}\topen_thread" in shown.output
    again = runner.invoke(app, ["outbox", "retry", "--dead", "--config", path])
    assert "1 item(s)" in again.output
    clock.advance(seconds=1)
    await runtime.dispatcher.deliver_once()
    assert items(services)[-1].state == "done"

    stuck = await open_ticket(client, shop_token, "Kolory sklepu")
    item_id = items(services)[-1].id
    dropped = runner.invoke(app, ["outbox", "drop", str(item_id), "--config", path])
    assert dropped.exit_code == 0, dropped.output
    assert items(services)[-1].state == "dropped"
    with services.db.transaction() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "outbox_drop")).one()
    assert audit.ticket_id == stuck and str(audit.actor).startswith("operator:")
    assert runner.invoke(app, ["outbox", "drop", str(item_id), "--config", path]).exit_code == 1
    bad = runner.invoke(app, ["outbox", "retry", "--config", path])
    assert bad.exit_code == 2


def test_nothing_is_an_empty_table(tmp_path, config):
    shown = runner.invoke(app, ["outbox", "list", "--config", write_config(config, tmp_path)])
    assert shown.exit_code == 0 and shown.stdout.strip().count("\n") == 0
