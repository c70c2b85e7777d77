"""`pomoc check` against the real Synapse: a healthy set-up, and rooms an operator must fix."""

import asyncio

import httpx

from bot.config import Secrets, parse_config
from pomoc.checks import run_checks
from tests.conftest import make_config
from tests.matrix.conftest import PASSWORD


def create_room(hs, token: str, name: str, **extra) -> str:
    response = httpx.post(
        f"{hs.url}/_matrix/client/v3/createRoom",
        json={"name": name, "preset": "private_chat", **extra},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return str(response.raise_for_status().json()["room_id"])


def config_for(hs, database_url, tmp_path, bot_id: str, rooms: dict[str, str]):
    config = make_config(
        database_url, tmp_path, matrix={"enabled": True, "homeserver": hs.url, "user_id": bot_id}
    )
    departments = {name: {"platform": "matrix", "channel": room} for name, room in rooms.items()}
    return config.model_copy(
        update={"departments": parse_config({"departments": departments}).departments}
    )


def failing(checks) -> dict[str, str]:
    return {c.name: c.line() for c in checks if not c.ok}


async def test_a_healthy_room_passes_and_send_test_leaves_nothing_behind(
    homeserver, database_url, tmp_path
):
    bot_id, token = await asyncio.to_thread(homeserver.register, "check-bot", PASSWORD)
    room = await asyncio.to_thread(create_room, homeserver, token, "Wsparcie")
    config = config_for(homeserver, database_url, tmp_path, bot_id, {"other": room})
    secrets = Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": token})
    checks = await run_checks(config, secrets, send_test=True)
    assert failing(checks) == {}
    assert any(c.name == f"matrix room {room}" and "redacted" in c.detail for c in checks)


async def test_a_room_not_joined_an_encrypted_one_and_a_low_power_level_are_named(
    homeserver, database_url, tmp_path
):
    bot_id, token = await asyncio.to_thread(homeserver.register, "check-bot2", PASSWORD)
    _owner_id, owner = await asyncio.to_thread(homeserver.register, "check-owner", PASSWORD)
    encrypted = await asyncio.to_thread(
        create_room,
        homeserver,
        token,
        "Szyfrowany",
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    elsewhere = await asyncio.to_thread(create_room, homeserver, owner, "Bez bota")
    muted = await asyncio.to_thread(
        create_room,
        homeserver,
        owner,
        "Tylko do odczytu",
        invite=[bot_id],
        power_level_content_override={"events_default": 50},
    )
    join = httpx.post(
        f"{homeserver.url}/_matrix/client/v3/join/{muted}",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=30,
    )
    assert join.status_code == 200, join.text
    rooms = {"payments": encrypted, "shipping": elsewhere, "other": muted}
    config = config_for(homeserver, database_url, tmp_path, bot_id, rooms)
    checks = await run_checks(config, Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": token}))
    problems = failing(checks)
    assert "encrypted" in problems[f"matrix room {encrypted}"]
    assert "has not joined" in problems[f"matrix room {elsewhere}"]
    assert "may not write" in problems[f"matrix room {muted}"]
    assert set(problems) == {f"matrix room {r}" for r in rooms.values()}


async def test_a_token_the_homeserver_does_not_know_is_named_with_its_fix(
    homeserver, database_url, tmp_path
):
    config = config_for(homeserver, database_url, tmp_path, "@nikt:localhost", {"other": "!x:y"})
    checks = await run_checks(config, Secrets.from_env({"POMOC_MATRIX_ACCESS_TOKEN": "nope"}))
    problems = failing(checks)
    assert set(problems) == {"matrix token"}
    assert "M_UNKNOWN_TOKEN -> ustaw nowy POMOC_MATRIX_ACCESS_TOKEN" in problems["matrix token"]
