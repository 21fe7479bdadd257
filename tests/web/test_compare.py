"""The compare page: what it shows of whom, and (in Chromium) one control driving every video."""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelsmith.db.models import Step, Variant
from tests.fakes.media import make_mp4
from tests.support import wait_until
from tests.web.conftest import insert_generation, runtime_of, sign_in, user_id

EVALUATION = {"pacing_similarity": 0.8, "duration_s": 8.0, "cuts": [2.0, 4.0], "reasons": ["Close pacing"]}


def test_it_shows_what_the_viewer_may_see_with_prompts_and_only_their_own_costs(web: TestClient) -> None:
    me = sign_in(web, "cleo")
    sign_in(web, "dan")
    mine = insert_generation(web, user_id(web, "cleo"), prompt="My harbour at dawn", tokens_charged=31)
    public = insert_generation(web, user_id(web, "dan"), prompt="Dan's public pier", visibility="published")
    private = insert_generation(web, user_id(web, "dan"), prompt="Dan's secret draft")
    web.post("/api/auth/login", json={"username": me.username, "password": "correct horse"})
    page = web.get(f"/compare?ids={mine},{public},{private}")
    assert page.status_code == 200
    html = page.text
    assert "My harbour at dawn" in html
    assert "Dan&#39;s public pier" in html
    assert "secret draft" not in html
    assert "1 item could not be shown" in html
    assert "31 tokens" in html
    assert html.count("tokens</dd>") == 1  # dan's cost stays dan's


def test_ad_clone_variants_are_compared_with_their_scores(web: TestClient) -> None:
    sign_in(web, "erin")
    gid = insert_generation(web, user_id(web, "erin"), mode="ad_clone", prompt="Sneakers, reimagined")
    with runtime_of(web).db.write() as session:
        for kind in ("soft", "ultra"):
            session.add(Variant(generation_id=gid, kind=kind, status="completed"))
        scores = {"soft": {**EVALUATION, "score": 71}, "ultra": {**EVALUATION, "score": 93}}
        session.add(Step(generation_id=gid, name="evaluate", status="done", output={"variants": scores}))
    html = web.get(f"/compare?ids={gid}:soft,{gid}:ultra").text
    assert "Ad clone · Soft" in html
    assert "Ad clone · Ultra" in html
    assert "71<small>/100</small>" in html
    assert "93<small>/100</small>" in html


def test_more_than_six_items_is_a_422_naming_ids(web: TestClient) -> None:
    sign_in(web, "fay")
    answer = web.get(
        "/compare?ids=" + ",".join(f"g{n}" for n in range(7)), headers={"Accept": "application/json"}
    )
    assert answer.status_code == 422
    assert "ids" in answer.text


playwright_api = pytest.importorskip("playwright.sync_api")
from tests.web.test_browser_e2e import browser, shoot, sign_up  # noqa: E402, F401  (the fixture, shared)

_UPLOAD_AND_STITCH = """
async ([b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: "video/mp4" }), "clip.mp4");
  const up = await RS.api("POST", "/api/uploads", form);
  const job = await RS.api("POST", "/api/stitch", { asset_ids: [up.data.id, up.data.id] });
  return job.data.id;
}
"""


@pytest.mark.slow
def test_one_play_and_one_seek_drive_every_video(
    browser: Any,  # noqa: F811
    live_server: str,
    tmp_path: Path,
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(30_000)
    sign_up(page, live_server, "gus")
    clip = base64.b64encode(make_mp4(tmp_path / "clip.mp4", seconds=2.0).read_bytes()).decode()
    ids = [page.evaluate(_UPLOAD_AND_STITCH, [clip]) for _ in range(2)]
    status = "async (id) => (await RS.api('GET', '/api/generations/' + id)).data.status"

    def completed(gid: str) -> bool:
        return bool(page.evaluate(status, gid) == "completed")

    for gid in ids:
        # Polled from here: wait_for_function would take the async predicate's promise for a yes.
        wait_until(functools.partial(completed, gid), timeout_s=60)
    page.goto(f"{live_server}/library")
    for gid in ids:
        page.check(f"[data-select][value='{gid}']")
    page.click("[data-compare-selected]")
    page.wait_for_url(f"{live_server}/compare?ids=*")
    page.wait_for_function("() => window.RSCompare && RSCompare.videos.every((v) => v.readyState >= 1)")
    shoot(page, "compare")

    page.click("[data-compare-play]")
    page.wait_for_function("() => RSCompare.videos.every((v) => !v.paused && v.currentTime > 0.3)")
    page.click("[data-compare-play]")
    page.wait_for_function("() => RSCompare.videos.every((v) => v.paused)")
    page.fill("[data-compare-seek]", "600")
    page.dispatch_event("[data-compare-seek]", "input")
    page.wait_for_function("() => RSCompare.videos.every((v) => Math.abs(v.currentTime - 2.4) < 0.1)")
    # Pausing one video's own playback pauses the others.
    page.click("[data-compare-play]")
    page.wait_for_function("() => RSCompare.videos.every((v) => !v.paused)")
    page.evaluate("() => RSCompare.videos[1].pause()")
    page.wait_for_function("() => RSCompare.videos.every((v) => v.paused)")
