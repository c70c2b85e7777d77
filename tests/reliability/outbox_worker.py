"""A stand-alone outbox worker for the SIGKILL test: `python -m tests.reliability.outbox_worker`."""

# It runs the production OutboxDispatcher against the given database with a recording adapter that
# appends every platform call (`key<TAB>retry`) to a journal and fsyncs it, as a platform would
# durably accept a message. It exits 0 once nothing is pending.

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path

from bot.config import Secrets, parse_config
from bot.dispatch import OutboxDispatcher
from pomoc.runtime import build_core
from tests.fakes.triage import KeywordTriager
from tests.reliability.burst import pending
from tests.reliability.recording import Ledger, RecordingChat


async def main(args: argparse.Namespace) -> None:
    config = parse_config(
        {
            "database": {"url": args.database_url},
            "attachments": {"directory": args.files},
            "outbox": {"probe_first_seconds": args.probe_first, "probe_max_seconds": 1},
        }
    )
    services = build_core(config, Secrets.from_env({}), triager=KeywordTriager(), migrate=False)
    chat = RecordingChat(
        Ledger(),
        worker=args.worker_id,
        delay=args.delay,
        journal=args.journal,
        blocked=args.blocked,
    )
    dispatcher = OutboxDispatcher(
        services.ctx,
        {"matrix": chat},
        worker_id=args.worker_id,
        lease=timedelta(seconds=args.lease),
        batch=args.batch,
    )
    stop = asyncio.Event()

    async def stop_when_drained() -> None:
        while await asyncio.to_thread(pending, services.db):
            await asyncio.sleep(0.05)
        stop.set()

    await asyncio.gather(dispatcher.run(stop, idle=0.05), stop_when_drained())
    services.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--files", required=True)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--worker-id", default="killable")
    parser.add_argument("--lease", type=float, default=1.0, help="seconds")
    parser.add_argument("--delay", type=float, default=0.05, help="max seconds per call")
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--blocked", type=Path, help="refuse every post while this file exists")
    parser.add_argument("--probe-first", type=float, default=0.1, help="seconds")
    asyncio.run(main(parser.parse_args()))
