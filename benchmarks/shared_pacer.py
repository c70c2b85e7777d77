"""Several `pomoc run` instances share one channel's pace: a 60-ticket burst, no 429 needed."""

# .venv/bin/python -m benchmarks.shared_pacer [--tickets 60] [--instances 1 2 3]
#
# Every department routes to one channel of a fake Slack Web API that, like Slack, refuses a
# second chat.postMessage into a channel within a second (429 with Retry-After). N real
# `pomoc run` processes share one PostgreSQL database; a burst of critical tickets (each escalated
# at once: one root message per ticket) is written, and the benchmark measures how fast the
# channel receives them, the shortest gap between two posts, and how many 429s Slack answered.
# One instance is the baseline measured in the same run.

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from benchmarks._common import DEFAULT_PG, postgres_database, say
from benchmarks.panel_load import SlackInBackground, servers
from bot.config import Secrets, parse_config
from pomoc.cli import create_shop
from pomoc.runtime import build_core
from storage import repositories as repo
from storage.migrate import upgrade
from tests.fakes.triage import KeywordTriager

CHANNEL = "CBURST"


def write_config(folder: Path, database_url: str, instance: int, slack_api: str | None) -> Path:
    path = folder / f"pomoc-{instance}.toml"
    path.write_text(
        f'[server]\ninstance_id = "pacer-{instance}"\n'
        f'[database]\nurl = "{database_url}"\n'
        f'[attachments]\ndirectory = "{folder / "files"}"\n'
        "[panel]\nmax_new_tickets_per_hour = 1000000000\n"
        f'[slack]\nenabled = true\napi_base_url = "{slack_api}"\ninterval = 1.0\n'
        f'[departments.other]\nplatform = "slack"\nchannel = "{CHANNEL}"\n'
    )
    return path


def burst(url: str, folder: Path, tickets: int) -> None:
    """`tickets` critical tickets, each escalated at once (KeywordTriager: "awaria")."""
    config = parse_config(
        {
            "database": {"url": url},
            "attachments": {"directory": str(folder / "files")},
            "panel": {"max_new_tickets_per_hour": 10**9},
            "departments": {"other": {"platform": "slack", "channel": CHANNEL}},
        }
    )
    core = build_core(config, Secrets.from_env({}), triager=KeywordTriager(), migrate=False)
    token = create_shop(url, "Sklep Burzy")
    with core.db.transaction() as session:
        shop = repo.shop_by_token(session, token)
    assert shop is not None
    for n in range(tickets):
        core.tickets.open_ticket(shop=shop, title=f"Awaria {n}", body="Awaria koszyka, pilne")
    core.db.dispose()


def run(instances: int, tickets: int, pg_url: str, timeout: float) -> str:
    with (
        tempfile.TemporaryDirectory() as tmp,
        postgres_database(pg_url) as url,
        SlackInBackground() as slack,
    ):
        folder = Path(tmp)
        upgrade(url)
        slack.fake.post_interval = 1.0
        with servers(folder, url, instances, slack.fake.api_url, configure=write_config):
            say(f"{instances} instance(s) up; writing {tickets} tickets")
            burst(url, folder, tickets)
            deadline = time.monotonic() + timeout
            while len(slack.fake.roots(CHANNEL)) < tickets and time.monotonic() < deadline:
                time.sleep(0.2)
        accepted = [at for channel, at in slack.fake.posted if channel == CHANNEL]
        roots = len(slack.fake.roots(CHANNEL))
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else float("nan")
    gaps = [b - a for a, b in itertools.pairwise(accepted)]
    return (
        f"{instances} instance(s): {roots}/{tickets} roots, "
        f"{(len(accepted) - 1) / span:.2f} messages/s over {span:.1f} s, "
        f"shortest gap {min(gaps, default=float('nan')):.3f} s, "
        f"429s {slack.fake.rate_limited}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--tickets", type=int, default=60)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per scenario")
    args = parser.parse_args()
    rows = []
    for count in args.instances:
        rows.append(run(count, args.tickets, args.pg_url, args.timeout))
        say(rows[-1])
    print(f"\nshared_pacer: {args.tickets} tickets into one Slack channel (baseline: 1 instance)")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
