"""Bounded load test of the reference server on loopback: throughput and latency percentiles.

    python benchmarks/bench_server.py [--requests 2000] [--clients 50] [--runs 3] [--workers 1 2]

Starts `tonearm serve` on 127.0.0.1 over synthetic listens (users who favour one of several
clusters), then sends POST /music/recommend from N concurrent httpx async clients. The
baseline in the same run is GET /health: the framework's floor without the model. Each row is
the median of --runs runs. The load generator shares the machine's CPU with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
MAX_WALL_S = 120.0


def write_listens(path: Path, users: int, clusters: int, songs: int, per_user: int) -> int:
    rng = random.Random(1)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for user in range(users):
            home = user % clusters
            for n in range(per_user):
                cluster = home if rng.random() < 0.8 else rng.randrange(clusters)
                song = int(rng.paretovariate(1.2)) % songs
                meta = {
                    "artist_name": f"Artist {cluster}-{song % 25}",
                    "track_name": f"Song {cluster}-{song}",
                }
                fh.write(
                    json.dumps({"user_name": f"u{user}", "listened_at": n, "track_metadata": meta})
                    + "\n"
                )
                count += 1
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(listens: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "recommender",
        "serve",
        "--listens",
        str(listens),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--token",
        TOKEN,
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read().decode())
        try:
            if httpx.get(url + "/health", timeout=0.5, trust_env=False).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def request_body(rng: random.Random, clusters: int, songs: int) -> bytes:
    cluster = rng.randrange(clusters)
    seeds = [
        {"artist": f"Artist {cluster}-{s % 25}", "title": f"Song {cluster}-{s}", "mbid": None}
        for s in rng.sample(range(songs), 5)
    ]
    return json.dumps(
        {
            "protocol": 1,
            "user_id": f"{rng.getrandbits(128):032x}",
            "k": 60,
            "music_preferences": {"genres": []},
            "seeds": seeds,
        }
    ).encode()


async def load(url: str, path: str, total: int, clients: int, bodies: list[bytes] | None):
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/json",
        "Tonearm-Protocol": "1",
    }

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            if bodies is None:
                response = await client.get(path)
            else:
                response = await client.post(path, content=bodies[i % len(bodies)], headers=headers)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    pool = [httpx.AsyncClient(base_url=url, trust_env=False, timeout=10) for _ in range(clients)]
    try:
        # Warm-up: every client opens its connection before the clock starts.
        await asyncio.gather(*(c.get("/health") for c in pool))
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one_client(c) for c in pool)), MAX_WALL_S)
        wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {
        "rps": total / wall,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--users", type=int, default=5000)
    args = parser.parse_args()
    args.requests = min(args.requests, 20_000)  # bounded, whatever is asked
    args.clients = min(args.clients, 200)
    clusters, songs = 20, 500
    rng = random.Random(2)
    bodies = [request_body(rng, clusters, songs) for _ in range(500)]
    with tempfile.TemporaryDirectory() as tmp:
        listens = Path(tmp) / "listens.jsonl"
        count = write_listens(listens, args.users, clusters, songs, 40)
        print(
            f"{count:,} listens, {args.users:,} users; {args.requests:,} requests from "
            f"{args.clients} concurrent clients, median of {args.runs} runs; CPUs: "
            f"{os.cpu_count()}"
        )
        print(
            f"{'workers':>7} {'endpoint':<22} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'errors':>6}"
        )
        for workers in args.workers:
            proc, url = start_server(listens, workers)
            try:
                for label, path, payload in (
                    ("GET /health (base)", "/health", None),
                    ("POST /music/recommend", "/music/recommend", bodies),
                ):
                    runs = [
                        asyncio.run(load(url, path, args.requests, args.clients, payload))
                        for _ in range(args.runs)
                    ]
                    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    print(
                        f"{workers:>7} {label:<22} {med['rps']:>8.0f} {med['p50']:>8.1f} "
                        f"{med['p95']:>8.1f} {med['p99']:>8.1f} {int(med['errors']):>6}"
                    )
            finally:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
