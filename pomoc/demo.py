"""`pomoc demo`: the whole flow on one machine, with nothing to configure."""

# A local Synapse with a room per department and two demo agents, Pomoc on SQLite with the default
# help center, and the web inbox. What it creates lives in `var/demo/` and is reused by the next
# run, so a second start takes seconds.

import asyncio
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from bot.clock import TravellingClock
from bot.config import Config, Secrets, parse_config
from bot.vocabulary import Platform
from pomoc.cli import create_shop
from pomoc.cli_platform import login_link
from pomoc.homeserver import Homeserver
from pomoc.runtime import Runtime, build_core
from storage.migrate import upgrade

ROOMS = {  # department -> room name; departments without a room fall back to "other"
    "payments": "Pomoc: płatności",
    "shipping": "Pomoc: wysyłka",
    "technical": "Pomoc: techniczne",
    "other": "Pomoc: pozostałe",
    "managers": "Pomoc: kierownicy",
}
AGENTS = {"anna": "anna-demo", "tomek": "tomek-demo"}
Say = Callable[[str], None]
SHOP = "Sklep Demo"


@dataclass
class Site:
    """Everything the demo made, kept in `var/demo/site.json` for the next run."""

    bot_id: str
    bot_token: str
    agents: dict[str, str]  # localpart -> Matrix id
    rooms: dict[str, str]  # department -> room id
    shop_token: str
    secret_key: str


def _client_api(hs: Homeserver, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{hs.url}/_matrix/client/v3",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _make_site(hs: Homeserver, database_url: str, say: Say) -> Site:
    bot_id, bot_token = hs.register("pomoc", secrets.token_urlsafe(16), admin=True)
    agents, agent_tokens = {}, {}
    for name, password in AGENTS.items():
        agents[name], agent_tokens[name] = hs.register(name, password)
    rooms = {}
    with _client_api(hs, bot_token) as bot:
        for department, name in ROOMS.items():
            created = bot.post(
                "/createRoom",
                json={"name": name, "preset": "private_chat", "invite": list(agents.values())},
            )
            created.raise_for_status()
            rooms[department] = created.json()["room_id"]
            say(f"  room {name}: {rooms[department]}")
    for token in agent_tokens.values():
        with _client_api(hs, token) as agent:
            for room_id in rooms.values():
                agent.post(f"/join/{room_id}", json={}).raise_for_status()
    return Site(
        bot_id=bot_id,
        bot_token=bot_token,
        agents=agents,
        rooms=rooms,
        shop_token=create_shop(database_url, SHOP),
        secret_key=secrets.token_urlsafe(32),
    )


def load_site(folder: Path, hs: Homeserver, database_url: str, say: Say) -> Site:
    path = folder / "site.json"
    if path.exists():
        return Site(**json.loads(path.read_text()))
    say("first run: registering users and creating rooms")
    site = _make_site(hs, database_url, say)
    path.write_text(json.dumps(asdict(site), indent=2))
    path.chmod(0o600)
    return site


def demo_config(site: Site, *, folder: Path, hs: Homeserver, port: int) -> Config:
    departments = {
        name: {"platform": "matrix", "channel": room}
        for name, room in site.rooms.items()
        if name != "managers"
    }
    return parse_config(
        {
            "server": {"port": port, "public_url": f"http://127.0.0.1:{port}"},
            "database": {"url": f"sqlite:///{folder}/pomoc.db"},
            "attachments": {"directory": str(folder / "attachments")},
            "departments": departments,
            "matrix": {
                "enabled": True,
                "homeserver": hs.url,
                "user_id": site.bot_id,
                "agents": list(site.agents.values()),
                "oncall": site.agents["anna"],
            },
            "managers": {"platform": "matrix", "channel": site.rooms["managers"]},
            "triage": {"deflection_window_minutes": 10},
        }
    )


def _cli_config(config: Config) -> Path:
    """What `pomoc shops login-link` needs to reach the demo's shop: its database and URL."""
    database = config.database.url
    path = Path(database.removeprefix("sqlite:///")).parent / "cli.toml"
    path.write_text(
        f'[server]\npublic_url = "{config.server.public_url}"\n[database]\nurl = "{database}"\n'
    )
    return path


def _banner(site: Site, config: Config, hs: Homeserver, say: Say) -> None:
    public = config.server.public_url
    link = login_link(config, SHOP, ttl=timedelta(minutes=10))
    say("")
    say(f"Shop inbox:   {link}  (once, within 10 minutes)")
    say(f"              another: pomoc shops login-link '{SHOP}' --config {_cli_config(config)}")
    say(f"Panel API:    {public}/docs  (Bearer {site.shop_token})")
    say(f"Homeserver:   {hs.url}  (log in with any Matrix client)")
    for name, user_id in site.agents.items():
        say(f"  agent {user_id}  password {AGENTS[name]}")
    say(f"Reply from the terminal: pomoc agent --homeserver {hs.url} --user anna")
    say("Ctrl-C stops everything.")


async def _wait_healthy(url: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient(timeout=2) as http, asyncio.timeout(timeout):
        while True:
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def _run(site: Site, config: Config, hs: Homeserver, *, scripted: bool, say: Say) -> int:
    from adapters.matrix.adapter import MatrixAdapter
    from pomoc.agent import MatrixAgent
    from pomoc.demo_story import Stage, play

    clock = TravellingClock()
    env = {"POMOC_SECRET_KEY": site.secret_key, "POMOC_MATRIX_ACCESS_TOKEN": site.bot_token}
    runtime = Runtime(build_core(config, Secrets.from_env(env), clock=clock))
    server = asyncio.create_task(runtime.serve(host="127.0.0.1", port=config.server.port))
    try:
        await _wait_healthy(config.server.public_url)
        _banner(site, config, hs, say)
        if not scripted:
            await server
            return 0
        # The bridge's first sync fixes where it starts reading (older history is not relayed):
        # the story must not begin before it, or an agent's quick reply would count as history.
        matrix = runtime.adapters[Platform.MATRIX]
        assert isinstance(matrix, MatrixAdapter)
        async with asyncio.timeout(60):
            await matrix.synced.wait()
        agent = MatrixAgent(hs.url, site.agents["anna"])
        await agent.login(AGENTS["anna"])
        await agent.start()
        try:
            stage = Stage(
                panel_url=config.server.public_url,
                shop_token=site.shop_token,
                agent=agent,
                oncall=site.agents["anna"],
                clock=clock,
            )
            say("")
            ok = await play(stage, say)
        finally:
            await agent.close()
        say("every step observed" if ok else "some steps FAILED")
        return 0 if ok else 1
    finally:
        runtime.stop.set()
        await asyncio.gather(server, return_exceptions=True)


def run_demo(
    *,
    scripted: bool,
    folder: Path = Path("var/demo"),
    port: int = 8000,
    homeserver_port: int = 8008,
    say: Say = print,
) -> int:
    """Start the homeserver and Pomoc; with `scripted`, play the story and exit."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    hs = Homeserver(folder / "synapse", homeserver_port)
    say(f"starting Synapse on {hs.url} ...")
    hs.start()
    try:
        database_url = f"sqlite:///{folder}/pomoc.db"
        upgrade(database_url)
        site = load_site(folder, hs, database_url, say)
        config = demo_config(site, folder=folder, hs=hs, port=port)
        return asyncio.run(_run(site, config, hs, scripted=scripted, say=say))
    except KeyboardInterrupt:
        return 0
    finally:
        say("stopping Synapse")
        hs.stop()
