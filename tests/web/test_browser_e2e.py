"""End to end in real headless Chromium: sign up, create, watch, publish, explore, like, delete."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")
# Set to a folder to get full-page screenshots of every page at 1280 px and 390 px wide.
SHOTS = os.environ.get("REELSMITH_WEB_SCREENSHOTS", "")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    executable = chromium_or_skip()
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def shoot(page: Any, name: str) -> None:
    """Screenshots at desktop and phone width, when asked for."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(150)
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def sign_up(page: Any, base: str, username: str) -> None:
    """Create an account through the sign-up page."""
    page.goto(f"{base}/signup")
    page.fill("#username", username)
    page.fill("#password", "correct horse battery")
    page.click("form[data-auth] button[type=submit]")
    page.wait_for_url(f"{base}/create")


def test_story_from_sign_up_to_explore_like_and_delete(browser: Any, live_server: str) -> None:
    base = live_server
    errors: list[str] = []
    alice_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = alice_ctx.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Console errors, except the 404s this test asks for on purpose.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)

    page.goto(f"{base}/explore")
    shoot(page, "explore-empty")
    page.goto(f"{base}/signup")
    shoot(page, "signup")
    sign_up(page, base, "alice")
    page.goto(f"{base}/library")
    shoot(page, "library-empty")
    page.goto(f"{base}/create")

    # Create: price preview follows the type and the scene count.
    page.check("input[name=mode][value=story]", force=True)
    page.fill("#scenes", "2")
    assert page.inner_text("[data-price-total]") == "20"
    page.check("input[name=mode][value=image]", force=True)
    assert page.inner_text("[data-price-total]") == "1"
    page.check("input[name=mode][value=ad_clone]", force=True)
    assert page.inner_text("[data-price-total]") == "160"
    assert page.is_disabled("[data-submit]")
    page.check("input[name=mode][value=story]", force=True)
    page.fill("#prompt", "A lighthouse keeper finds a <b>glowing</b> shell")
    page.fill("#title", "The Shell")
    page.fill("#scenes", "2")
    page.click("label:has(input[name=aspect_ratio][value='1:1'])")
    shoot(page, "create")
    page.click("[data-submit]")
    page.wait_for_selector("[data-generating]:not([hidden])")
    # The balance is re-read after the submit answers: wait for it rather than race it.
    playwright_api.expect(page.locator("[data-balance]").first).to_have_text("30")
    shoot(page, "create-submitted")

    # Generation page: live progress, then the finished player.
    page.click("[data-watch]")
    page.wait_for_url(re.compile(r".*/g/[0-9a-f-]{36}$"))
    generation_id = page.url.rsplit("/", 1)[1]
    if page.query_selector("[data-progress]"):
        shoot(page, "generation-running")
    page.wait_for_selector("video[data-final]", timeout=60_000)
    assert page.inner_text("[data-scene-summary]") == "0 generating · 2 ready · 0 failed"
    assert "<b>" in page.inner_text(".prompt-text")  # the prompt is shown as text, not markup
    video_url = page.get_attribute("video[data-final]", "src")
    poster_url = page.get_attribute("video[data-final]", "poster")
    assert video_url
    assert poster_url

    page.fill("#caption", "My first story, at dawn")
    page.click("[data-publish-form] button[type=submit]")
    page.wait_for_selector("[data-action=unpublish]")
    page.click("[data-share-form] button[type=submit]")
    page.wait_for_selector("[data-share-list] li")
    share_url = page.input_value("[data-share-list] li input")
    shoot(page, "generation-done")

    page.goto(f"{base}/explore")
    post = page.locator(f"[data-post='{generation_id}']")
    assert "My first story, at dawn" in post.inner_text()
    shoot(page, "explore")

    # A second user likes it on Explore.
    bob_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    bob = bob_ctx.new_page()
    bob.set_default_timeout(20_000)
    bob.on("pageerror", lambda e: errors.append(str(e)))
    sign_up(bob, base, "bob")
    bob.goto(f"{base}/explore")
    like = bob.locator(f"[data-like='{generation_id}']")
    like.click()
    bob.wait_for_selector(f"[data-like='{generation_id}'][aria-pressed=true]")
    assert like.locator("[data-like-count]").inner_text() == "1"
    bob.reload()
    assert bob.locator(f"[data-like='{generation_id}'] [data-like-count]").inner_text() == "1"
    bob.goto(share_url)
    assert bob.locator("meta[property='og:video']").count() == 1
    shoot(bob, "share")
    bob.goto(f"{base}/u/alice")
    assert bob.locator(f"[data-post='{generation_id}']").count() == 1
    shoot(bob, "profile")

    for name, path in (("library", "/library"), ("drafts", "/drafts"), ("settings", "/settings")):
        page.goto(f"{base}{path}")
        shoot(page, name)
    page.goto(f"{base}/g/00000000-0000-0000-0000-000000000000")
    shoot(page, "not-found")

    # The owner deletes it: gone from Explore, the profile, and its files.
    page.goto(f"{base}/g/{generation_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=delete]")
    page.wait_for_url(f"{base}/library")
    bob.goto(f"{base}/explore")
    assert bob.locator(f"[data-post='{generation_id}']").count() == 0
    bob.goto(f"{base}/u/alice")
    assert bob.locator(f"[data-post='{generation_id}']").count() == 0
    for url in (video_url, poster_url):
        assert bob.request.get(f"{base}{url}").status == 404
        assert page.request.get(f"{base}{url}").status == 404
    assert bob.request.get(share_url).status == 404
    assert page.goto(f"{base}/g/{generation_id}").status == 404
    assert errors == []
    alice_ctx.close()
    bob_ctx.close()


def test_music_video_from_a_song_upload(browser: Any, live_server: str, tmp_path: Path) -> None:
    from reelsmith.media.ffmpeg import run_ffmpeg

    song = tmp_path / "song.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=f=392:r=48000:d=11", "-c:a", "pcm_s16le", str(song)])
    base = live_server
    errors: list[str] = []
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_up(page, base, "dj")
    page.goto(f"{base}/create")
    page.check("input[name=mode][value=music_video]", force=True)
    assert page.is_disabled("[data-submit]")  # no song yet
    page.fill("#prompt", "Neon city night drive")
    page.set_input_files("[data-song-upload]", str(song))
    page.wait_for_selector("[data-song-info]:has-text('scenes')")
    assert page.inner_text("[data-price-total]") == "20"  # 11 s of song: two scenes
    shoot(page, "create-music")
    page.click("[data-submit]")
    page.wait_for_selector("[data-generating]:not([hidden])")
    page.click("[data-watch]")
    page.wait_for_selector("video[data-final]", timeout=60_000)
    assert errors == []


def test_ad_clone_from_a_source_upload(browser: Any, live_server: str, tmp_path: Path) -> None:
    from tests.pipeline.test_ad_clone import source_ad

    source = source_ad(tmp_path / "source.mp4")
    base = live_server
    errors: list[str] = []
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_up(page, base, "copywriter")
    page.goto(f"{base}/create")
    page.check("input[name=mode][value=ad_clone]", force=True)
    assert page.is_disabled("[data-submit]")  # no source yet
    page.fill("#prompt", "Trailblazer running shoes for muddy mornings")
    page.set_input_files("[data-source-upload]", str(source))
    page.wait_for_selector("[data-source-info]:has-text('source ad')")
    assert page.inner_text("[data-price-total]") == "160"  # four variants of four clips
    assert page.is_disabled("[data-submit]")  # the sign-up grant is 50 tokens
    for kind in ("medium", "aggressive", "ultra"):
        page.uncheck(f"input[name=variants][value={kind}]")
    assert page.inner_text("[data-price-total]") == "40"
    shoot(page, "create-ad-clone")
    page.click("[data-submit]")
    page.wait_for_selector("[data-generating]:not([hidden])")
    page.click("[data-watch]")
    page.wait_for_selector("video[data-final]", timeout=90_000)
    card = page.locator("[data-variant=soft]")
    assert card.locator(".score").inner_text().endswith("/100")
    assert "cut rhythm" in card.inner_text()
    assert "shots" in page.inner_text(".meta")  # what was measured on the source
    shoot(page, "generation-ad-clone")
    assert errors == []
