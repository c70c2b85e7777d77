"""Beside a load test, in a process of its own: /healthz latency and the server's peak memory."""

# python -m tests.security.probe URL PID: probes until its stdin closes, then prints JSON.
# Its own process, so the load the test generates cannot delay the probe's clock.

import json
import sys
import threading
import time
from pathlib import Path

import httpx


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main(url: str, pid: int) -> None:
    done = threading.Event()
    latencies: list[float] = []
    memory = {"base": rss_mb(pid), "peak": 0.0}

    def health() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not done.is_set():
                began = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - began)
                time.sleep(0.01)

    def sample() -> None:
        while not done.is_set():
            memory["peak"] = max(memory["peak"], rss_mb(pid))
            time.sleep(0.002)

    threads = [threading.Thread(target=health), threading.Thread(target=sample)]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    sys.stdin.read()
    done.set()
    for thread in threads:
        thread.join()
    print(json.dumps({"latencies": latencies, **memory}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
