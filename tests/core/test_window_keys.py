"""A transition window's key says which clips it joins and where it cuts them, whichever render made it."""

from __future__ import annotations

from reelsmith.storage import keys


def test_a_window_key_is_read_back_and_each_making_has_its_own() -> None:
    first = keys.join_window("g1", "default", ("c1", "c2"), "fade-500", "12-13-25", keys.render_id())
    second = keys.join_window("g1", "default", ("c1", "c2"), "fade-500", "12-13-25", keys.render_id())

    assert first != second
    assert keys.join_window_parts(first) == (("c1", "c2"), "fade-500", "12-13-25")


def test_a_window_key_from_before_renders_is_still_read() -> None:
    key = "generations/g1/default/join_c1_c2_fade-500_12-13-25.mp4"

    assert keys.join_window_parts(key) == (("c1", "c2"), "fade-500", "12-13-25")
    assert keys.join_window_parts("generations/g1/default/join_c1_fade-500.mp4") is None
    assert keys.join_window_parts("generations/g1/default/final_ab12.mp4") is None
