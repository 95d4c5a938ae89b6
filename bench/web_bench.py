"""Latency of the web UI over a store of 10,000 synthetic stories, at 20 concurrent clients on loopback.

Fills a temporary store, starts `storydiff serve` in a subprocess (fast no-model backends), then for
each scenario keeps CLIENTS requests in flight until DURATION_S seconds or MAX_REQUESTS requests,
whichever comes first. Prints p50/p95/max latency, throughput, errors and the server's CPU time per
request; with --check it exits 1 when a bar fails.

    .venv/bin/python bench/web_bench.py [--stories 10000] [--clients 20] [--duration 8] [--max-requests 2000] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

P95_BAR_MS = 100.0  # the bar: p95 latency of the story list and story page
STARTUP_TIMEOUT_S = 60.0  # seconds to wait for the server to answer
SEED = 7  # synthetic data and request order are the same on every run
OUTLETS = [f"Outlet {name}" for name in (
    "Herald", "Gazette", "Tribune", "Courier", "Post", "Times", "Wire", "Chronicle", "Observer", "Standard",
    "Mirror", "Express", "Ledger", "Sentinel", "Dispatch", "Record", "Journal", "Star", "Monitor", "Globe")]
PLACES = ["Lindqvist", "Port Averin", "Sarn", "Kovalen", "Brightwater", "Old Mill", "Eastgate", "Norrby"]
EVENTS = ["bridge collapse", "harbour fire", "council vote", "rail strike", "flood warning", "budget row",
          "court ruling", "factory closure", "election result", "storm damage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0.0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def fill_store(path: str, n_stories: int) -> tuple[list[str], float]:
    """Write n_stories synthetic stories (2-4 reports each, some copies) and return their ids and the seconds taken."""
    from storydiff.model import Article
    from storydiff.store import Batch, Store, StoredArticle

    rng = random.Random(SEED)
    store = Store(path)
    started = time.perf_counter()
    ids: list[str] = []
    batch: list[StoredArticle] = []
    for k in range(n_stories):
        sid = f"s{k:05d}"
        ids.append(sid)
        place, event = rng.choice(PLACES), rng.choice(EVENTS)
        day = f"20{24 + k % 3}-{1 + k % 12:02d}-{1 + k % 28:02d}"
        hurt = rng.randint(2, 40)
        for j, outlet in enumerate(rng.sample(OUTLETS, rng.randint(2, 4))):
            n = hurt + (j == 2)  # the third report gets the number wrong
            body = (f"A {event} in {place} on Monday left {n} people hurt, officials said.\n\n"
                    f"Mayor Anna Berg said the town would help every family. \"We will rebuild,\" she said.\n\n"
                    f"Story {k} is covered here by {outlet}; reporter {j} filed it.")
            art = Article(id=f"{sid}-{j}", title=f"{event.capitalize()} in {place}: {n} hurt", body=body,
                          outlet=outlet, published=day, language=rng.choice(["en", "en", "en", "de"]))
            batch.append(StoredArticle(art, story_id=sid))
        if rng.random() < 0.2:
            first = batch[-1].article
            copy = Article(id=f"{sid}-copy", title=first.title, body=first.body, outlet="Outlet Reprints",
                           published=first.published)
            batch.append(StoredArticle(copy, story_id=sid, duplicate_of=first.id, similarity=0.97))
        if len(batch) >= 5000:
            store.write(Batch(articles=batch))
            batch = []
    if batch:
        store.write(Batch(articles=batch))
    return ids, time.perf_counter() - started


def start_server(db: str, port: int) -> subprocess.Popen[bytes]:
    """`storydiff serve` on 127.0.0.1 with the fast backends, in its own process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "storydiff", "serve", "--db", db, "--port", str(port),
                             "--no-model", "--embedder", "hashing"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def wait_ready(base: str) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(base + "/compare")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"web_bench: the server did not answer within {STARTUP_TIMEOUT_S:.0f} s")


class Connection:
    """One keep-alive HTTP/1.1 connection with a minimal GET: the load generator should cost the CPUs
    (which it shares with the server) far less than the server does; httpx costs about 1 ms a request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """GET path; return the status code (reconnects when the server closed the connection)."""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        if "content-length" not in headers:
            raise ValueError(f"{path}: response without Content-Length")
        await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def run_scenario(base: str, paths: list[str], clients: int, duration: float, max_requests: int
                       ) -> dict[str, float]:
    """Keep `clients` requests in flight over `paths` (in order, cycling) until the time or count bound."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    errors = 0
    issued = 0
    stop_at = time.monotonic() + duration
    connections = [Connection(host, int(port)) for _ in range(clients)]

    async def worker(conn: Connection) -> None:
        nonlocal errors, issued
        while issued < max_requests and time.monotonic() < stop_at:
            path = paths[issued % len(paths)]
            issued += 1
            t0 = time.perf_counter()
            try:
                ok = await asyncio.wait_for(conn.get(path), timeout=30.0) == 200
            except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
                ok = False
                conn.close()
                conn.writer = None
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.monotonic() - started
    for c in connections:
        c.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50": pct(0.50), "p95": pct(0.95), "max": latencies[-1] if latencies else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per scenario (upper bound)")
    parser.add_argument("--max-requests", type=int, default=2000, help="requests per scenario (upper bound)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a scenario misses the bar")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="storydiff-web-bench-") as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        ids, fill_s = fill_store(db, args.stories)
        print(f"store: {len(ids)} stories written in {fill_s:.1f} s")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(db, port)
        try:
            asyncio.run(wait_ready(base))
            hot = rng.sample(ids, 50)
            pages = max(1, len(ids) // 50)
            scenarios = [  # (name, URLs in request order, held to the bar)
                ("list: first page", ["/stories"], True),
                ("list: random pages", [f"/stories?page={rng.randint(1, pages)}" for _ in range(3000)], True),
                ("list: search, every query new", [f"/stories?q=story+{rng.randint(0, len(ids))}"
                                                   for _ in range(3000)], True),
                ("list: outlet + dates, every query new",
                 [f"/stories?outlet={rng.choice(OUTLETS).split()[1]}&since=2025-{rng.randint(1, 12):02d}-01"
                  f"&until=2025-12-{rng.randint(1, 28):02d}" for _ in range(3000)], True),
                ("story page: revisits of 50 stories", [f"/stories/{sid}" for sid in hot], True),
                ("story page JSON: revisits", [f"/stories/{sid}.json" for sid in hot], True),
                ("story page: first visit (runs the comparison)", [f"/stories/{sid}" for sid in rng.sample(ids, 3000)],
                 False),
            ]
            asyncio.run(run_scenario(base, [f"/stories/{sid}" for sid in hot], 4, 60, len(hot)))  # warm the cache
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"machine: {os.cpu_count()} CPUs, load average {load} (other work shares these CPUs)")
            print(f"{args.clients} concurrent clients, each scenario bounded by {args.duration:.0f} s "
                  f"or {args.max_requests} requests; bar: p95 < {P95_BAR_MS:.0f} ms, no errors")
            print(f"{'scenario':46} {'requests':>8} {'distinct':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} "
                  f"{'p95 ms':>7} {'max ms':>7} {'cpu ms':>8}  bar")
            print("(cpu ms: the server process's CPU time per request, which other load on the machine "
                  "does not inflate)")
            failed = False
            for name, paths, barred in scenarios:
                cpu0 = cpu_seconds(proc.pid)
                res = asyncio.run(run_scenario(base, paths, args.clients, args.duration, args.max_requests))
                cpu_ms = (cpu_seconds(proc.pid) - cpu0) * 1000 / max(1, res["requests"])
                ok = res["p95"] < P95_BAR_MS and res["errors"] == 0
                failed |= barred and not ok
                verdict = ("pass" if ok else "FAIL") if barred else ("(info)" if not ok else "pass")
                distinct = len(set(paths[: int(res["requests"])]))
                print(f"{name:46} {res['requests']:8.0f} {distinct:8d} {res['errors']:6.0f} {res['rps']:7.1f} "
                      f"{res['p50']:7.1f} {res['p95']:7.1f} {res['max']:7.1f} {cpu_ms:8.2f}  {verdict}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    if failed:
        print("some scenarios missed the bar" + ("" if args.check else " (pass --check to exit 1 on that)"))
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
