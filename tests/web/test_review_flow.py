"""In real headless Chromium: review a storyboard, edit a scene, approve, watch it finish, trim a scene
into a second version, and restore the first."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.web.test_browser_e2e import browser, shoot, sign_up  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")


def _video_sha(page: Any) -> str:
    """The SHA-256 of what the player plays, as the asset's info says."""
    src = page.get_attribute("video[data-final]", "src")
    info = page.evaluate("async (url) => (await fetch(url + '/info')).json()", src)
    return str(info["sha256"])


def test_review_edit_approve_finish_trim_and_restore(browser: Any, live_server: str) -> None:  # noqa: F811
    base = live_server
    errors: list[str] = []
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_up(page, base, "rita")

    # Create a two-scene story for review: only the storyboard is paid for now.
    page.check("input[name=mode][value=story]", force=True)
    page.fill("#prompt", "A lighthouse keeper's last night")
    page.fill("#scenes", "2")
    page.click("label:has(input[name=aspect_ratio][value='1:1'])")
    page.check("[data-review]", force=True)
    page.click("[data-submit]")
    page.wait_for_selector("[data-generating]:not([hidden])")
    page.click("[data-watch]")
    page.wait_for_url(re.compile(r".*/g/[0-9a-f-]{36}$"))

    # Review: edit the first scene's text, then approve.
    page.wait_for_selector("[data-review]", timeout=60_000)
    form = page.locator("[data-scene-form]").first
    form.locator("input[name=on_screen_text]").fill("THE LAST NIGHT")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-toast]:has-text('Scene saved')")
    shoot(page, "review")
    page.click("[data-action=approve]")

    # Finished: the player shows version 1, and the editor lists the cut.
    page.wait_for_selector("video[data-final]", timeout=90_000)
    page.wait_for_selector("[data-version='1'] [data-current]")
    first_sha = _video_sha(page)
    assert page.locator("[data-edit-scene]").count() == 2

    # Trim the first scene to one second: a second version is made and plays.
    page.locator("[data-edit-scene]").first.locator("[data-field=duration_s]").fill("1")
    page.click("[data-edit-save]")
    page.wait_for_selector("[data-version='2'] [data-current]", timeout=60_000)
    shoot(page, "versions")
    assert "Trimmed scene 1 to 1.0 s" in page.inner_text("[data-version='2']")
    trimmed_sha = _video_sha(page)
    assert trimmed_sha != first_sha

    # Restore the first version: the player plays it again.
    page.click("[data-version='1'] [data-restore]")
    page.wait_for_selector("[data-version='1'] [data-current]")
    assert _video_sha(page) == first_sha
    assert page.locator("[data-version='2'] [data-restore]").count() == 1

    # Schedule its publish for tomorrow: it waits in Drafts, cancellable, and not on Explore.
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # the browser's local time
    page.fill("#publish-at", tomorrow)
    page.click("[data-publish-form] button[type=submit]")
    page.wait_for_selector("[data-scheduled-at]")
    page.goto(f"{base}/drafts")
    page.wait_for_selector("[data-scheduled-item]")
    shoot(page, "drafts-scheduled")
    assert errors == []
