"""Made-up bearer tokens from a process of its own, so the flood cannot slow the measuring one."""

# python -m tests.security.flood URL COUNT [X-Forwarded-For]: COUNT requests (0: until stdin
# closes), then prints the statuses as JSON.

import asyncio
import json
import sys
import uuid
from collections import Counter

import aiohttp

WORKERS = 32


async def flood(url: str, count: int, forwarded: str) -> Counter:
    statuses: Counter = Counter()
    sent = 0
    stop = asyncio.Event()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal sent
        while not stop.is_set() and (count == 0 or sent < count):
            sent += 1
            token = f"Bearer {uuid.uuid4().hex}{uuid.uuid4().hex}"
            async with http.get(
                "/api/v1/tickets", headers={**headers, "Authorization": token}
            ) as r:
                await r.read()
                statuses[r.status] += 1

    if count == 0:  # until the test closes our stdin
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, sys.stdin.read).add_done_callback(lambda _: stop.set())
    async with aiohttp.ClientSession(url) as http:
        await asyncio.gather(*(worker(http) for _ in range(WORKERS)))
    return statuses


if __name__ == "__main__":
    forwarded = sys.argv[3] if len(sys.argv) > 3 else ""
    print(json.dumps(asyncio.run(flood(sys.argv[1], int(sys.argv[2]), forwarded))))
