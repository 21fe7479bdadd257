"""Latency of `GET /api/generations?limit=50` with 10,000 generations in SQLite.

Prints p50/p95 over repeated requests (first page and deep pages via the cursor), and the same
page fetched by a bare SQL query on the same database as the baseline, with the ratio.

    python bench/api_list.py [--rows 10000] [--requests 300]

``--rows 200 --requests 20`` is a smoke run of a few seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from reelsmith.config import Settings
from reelsmith.db.models import Generation
from reelsmith.server.app import create_app


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def run(data: Path, row_count: int, requests: int) -> None:
    """Fill a database in ``data``, then time the API and the bare query and print both."""
    app = create_app(Settings(data_dir=data, _env_file=None))  # type: ignore[call-arg]
    client = TestClient(app)
    token = client.post("/api/auth/signup", json={"username": "bench", "password": "bench pass"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    user_id = client.get("/api/me", headers=headers).json()["id"]
    rt = app.state.runtime
    start = datetime.now(UTC) - timedelta(days=30)
    statuses = ("completed", "completed", "completed", "failed", "processing")
    rows = [
        {
            "id": str(uuid.uuid4()),
            "user_id": user_id,
            "mode": ("story", "video", "image")[n % 3],
            "title": f"Generation {n}",
            "prompt": f"A prompt about item {n} with some words",
            "params": {},
            "status": statuses[n % 5],
            "progress": 100,
            "current_step": "Complete",
            "created_at": start + timedelta(seconds=n * 7),
            "updated_at": start,
        }
        for n in range(row_count)
    ]
    with rt.db.write() as session:
        session.execute(insert(Generation), rows)

    cursors: list[str | None] = [None]
    page = client.get("/api/generations?limit=50", headers=headers).json()
    while page["next_cursor"] and len(cursors) < 20:
        cursor = page["next_cursor"]
        page = client.get(f"/api/generations?limit=50&cursor={cursor}", headers=headers).json()
        if len(page["items"]) == 50:  # a short last page would time a smaller answer
            cursors.append(cursor)

    api: list[float] = []
    for n in range(requests):
        cursor = cursors[n % len(cursors)]
        url = "/api/generations?limit=50" + (f"&cursor={cursor}" if cursor else "")
        t0 = time.perf_counter()
        response = client.get(url, headers=headers)
        api.append(time.perf_counter() - t0)
        assert response.status_code == 200
        assert len(response.json()["items"]) == 50

    query = text("SELECT * FROM generations WHERE user_id = :u ORDER BY created_at DESC, id DESC LIMIT 51")
    bare: list[float] = []
    for _ in range(requests):
        t0 = time.perf_counter()
        with rt.db.read() as session:
            session.execute(query, {"u": user_id}).all()
        bare.append(time.perf_counter() - t0)

    p50, p95 = percentile(api, 0.5), percentile(api, 0.95)
    b50, b95 = percentile(bare, 0.5), percentile(bare, 0.95)
    print(f"rows={row_count} requests={requests} pages={len(cursors)}")
    print(f"{'':24}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    print(f"{'GET /api/generations':24}{p50:10.2f}{p95:10.2f}{statistics.mean(api) * 1000:10.2f}")
    print(f"{'bare SQL (baseline)':24}{b50:10.2f}{b95:10.2f}{statistics.mean(bare) * 1000:10.2f}")
    print(f"ratio API/baseline: p50 {p50 / b50:.1f}x, p95 {p95 / b95:.1f}x")
    rt.close()


def main() -> None:
    """Fill a fresh database, then time the API and the bare query."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    if args.rows < 50 or args.requests < 1:
        parser.error("needs --rows >= 50 (one full page) and --requests >= 1")
    data = Path(tempfile.mkdtemp(prefix="reelsmith-bench-"))
    try:
        run(data, args.rows, args.requests)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
