"""In real headless Chromium: the Create page's voice-over options, and a narrated video's page.

The voice sample must load and play in the browser's own audio element; the finished video must carry
its captions as a text track the browser parses into cues; the owner edits a scene's line and re-voices
it from the page, and the page shows the new line once the re-voice is done.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.test_browser_e2e import browser, shoot, sign_up  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")

NEW_LINE = "The lamp goes dark and the sea keeps its secret."


def _page(browser: Any, errors: list[str]) -> Any:  # noqa: F811
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def test_the_create_page_offers_a_voice_with_a_playable_sample(browser: Any, live_server: str) -> None:  # noqa: F811
    errors: list[str] = []
    page = _page(browser, errors)
    sign_up(page, live_server, "vera")
    page.check("input[name=mode][value=story]", force=True)
    options = page.locator("[data-narration-options]")
    assert options.is_visible()
    page.wait_for_function("() => document.querySelectorAll('[data-voice] option').length > 1")
    page.select_option("[data-voice]", index=1)
    page.click("[data-voice-sample]")
    # The sample is a real audio file the browser decodes: metadata loaded, no media error.
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-voice-audio]');"
        " return a.error === null && a.readyState >= 1 && a.duration > 0; }"
    )
    assert page.evaluate("() => document.querySelector('[data-voice-audio]').error") is None
    page.select_option("#captions", "burn")
    assert page.locator("#caption-style option").count() >= 1
    shoot(page, "create-narration")

    page.uncheck("[data-narration]", force=True)
    assert not options.is_visible()
    page.check("input[name=mode][value=music_video]", force=True)
    assert not page.locator("fieldset.narration").is_visible()  # a music video has no voice-over
    assert errors == []


def test_a_narrated_video_shows_its_lines_plays_captions_and_re_voices_a_line(
    browser: Any,  # noqa: F811
    live_server: str,
) -> None:
    errors: list[str] = []
    page = _page(browser, errors)
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    sign_up(page, live_server, "nell")
    page.check("input[name=mode][value=story]", force=True)
    page.fill("#prompt", "A lighthouse keeper's last night")
    page.fill("#scenes", "1")
    page.click("label:has(input[name=aspect_ratio][value='9:16'])")
    page.check("[data-narration]", force=True)
    page.select_option("#captions", "file")
    page.click("[data-submit]")
    page.wait_for_selector("[data-generating]:not([hidden])")
    page.click("[data-watch]")
    page.wait_for_url(re.compile(r".*/g/[0-9a-f-]{36}$"))

    page.wait_for_selector("video[data-final]", timeout=90_000)
    line = page.locator("[data-scene-line]").first
    assert line.inner_text().strip(" “”").split()  # the scene's spoken line is shown
    assert page.locator("video[data-final] track[kind=captions]").count() == 1
    page.wait_for_function(
        "() => { const t = document.querySelector('video[data-final]').textTracks[0];"
        " return t && t.cues && t.cues.length > 0; }"
    )
    # The editor of the cut shows each scene's line with it, as it will be kept through an edit.
    page.wait_for_selector("[data-edit-scene] [data-edit-line]")
    assert page.inner_text("[data-edit-line]").strip("“”") == line.inner_text().split("”")[0].strip("“ ")
    shoot(page, "generation-narrated")

    loads.clear()
    page.click("details.revoice summary")
    page.locator("[data-revoice] textarea[name=narration]").fill(NEW_LINE)
    page.click("[data-revoice] button[type=submit]")
    page.wait_for_selector(f"[data-scene-line]:has-text('{NEW_LINE[:20]}')", timeout=90_000)
    page.wait_for_selector("video[data-final]", timeout=90_000)
    page.wait_for_function(
        "() => { const t = document.querySelector('video[data-final]').textTracks[0];"
        " return t && t.cues && Array.from(t.cues).some((c) => c.text.includes('secret')); }",
        timeout=90_000,
    )
    shoot(page, "generation-revoiced")
    # Reloaded when the re-voice was accepted and when it was done, not at every event in between.
    assert len(loads) <= 3, loads
    assert errors == []
