"""Reviewing a storyboard before rendering: stop after writing, edit, approve, pay for what is kept."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from reelsmith.config import Settings
from reelsmith.server.app import create_app
from tests.api.conftest import wait_done
from tests.support.cli import run_reelsmith
from tests.web.conftest import sign_in

START = 50  # every new account's tokens
CLIP = 10
STORYBOARD = 1


def _review(client: TestClient, headers: dict[str, str], scenes: int = 2, **extra: object) -> dict[str, Any]:
    """A story created for review, followed until its storyboard waits; returns its detail."""
    body = {"mode": "story", "prompt": "A lighthouse keeper's last night", "scenes": scenes, "review": True}
    response = client.post("/api/generations", json={**body, **extra}, headers=headers)
    assert response.status_code == 202, response.text
    detail = wait_done(client, headers, response.json()["id"])
    assert detail["status"] == "awaiting_approval", detail
    return dict(detail)


def _scenes(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return list(detail["variants"][0]["scenes"])


def _balance(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/me", headers=headers).json()["token_balance"])


def _charges(client: TestClient, headers: dict[str, str], generation_id: str) -> list[int]:
    ledger = client.get("/api/me/ledger", headers=headers).json()
    return [e["delta"] for e in ledger if e["reason"] == "charge" and e["generation_id"] == generation_id]


def test_a_review_charges_only_the_storyboard_and_renders_nothing(
    client: TestClient, alice: dict[str, str]
) -> None:
    detail = _review(client, alice, scenes=3)
    assert detail["tokens_charged"] == STORYBOARD
    assert _balance(client, alice) == START - STORYBOARD
    scenes = _scenes(detail)
    assert [s["index"] for s in scenes] == [0, 1, 2]
    assert all(s["id"] and s["status"] == "pending" and s["video_url"] is None for s in scenes)
    steps = {s["name"]: s["status"] for s in detail["steps"]}
    assert steps["align"] == "done"
    assert steps["clips"] == "pending"


def test_approval_charges_the_scenes_and_renders_them_without_rewriting(
    client: TestClient, alice: dict[str, str]
) -> None:
    detail = _review(client, alice, scenes=2)
    gid = detail["id"]
    approved = client.post(f"/api/generations/{gid}/approve", headers=alice)
    assert approved.status_code == 202, approved.text
    assert _balance(client, alice) == START - STORYBOARD - 2 * CLIP
    done = wait_done(client, alice, gid)
    assert done["status"] == "completed"
    assert done["video_url"]
    assert done["tokens_charged"] == STORYBOARD + 2 * CLIP
    assert sorted(_charges(client, alice, gid)) == [-2 * CLIP, -STORYBOARD]
    # The writing ran once: the approval resumed at the clips.
    assert all(s["attempts"] == 1 for s in done["steps"])
    assert len(done["conversation"]) == len(detail["conversation"])


def test_added_deleted_and_reordered_scenes_are_what_is_rendered_and_charged(
    client: TestClient, alice: dict[str, str]
) -> None:
    detail = _review(client, alice, scenes=3)
    gid = detail["id"]
    first, second, third = _scenes(detail)
    base = f"/api/generations/{gid}/scenes"
    assert client.delete(f"{base}/{second['id']}", headers=alice).status_code == 200
    added = client.post(
        base, json={"prompt": "A gull over the rocks", "duration_s": 4, "index": 0}, headers=alice
    )
    assert added.status_code == 201, added.text
    assert [s["index"] for s in _scenes(added.json())] == [0, 1, 2]
    gull = _scenes(added.json())[0]
    edited = client.patch(
        f"{base}/{third['id']}",
        json={"prompt": "The lamp goes dark", "on_screen_text": "THE END"},
        headers=alice,
    )
    assert edited.status_code == 200, edited.text
    order = [third["id"], gull["id"], first["id"]]
    reordered = client.post(f"{base}/order", json={"ids": order}, headers=alice)
    assert reordered.status_code == 200, reordered.text
    assert [s["id"] for s in _scenes(reordered.json())] == order

    assert client.post(f"/api/generations/{gid}/approve", headers=alice).status_code == 202
    done = wait_done(client, alice, gid)
    assert done["status"] == "completed"
    scenes = _scenes(done)
    assert [s["id"] for s in scenes] == order
    assert [s["index"] for s in scenes] == [0, 1, 2]
    assert all(s["status"] == "completed" and s["video_url"] for s in scenes)
    assert scenes[0]["description"] == "The lamp goes dark"
    assert scenes[0]["on_screen_text"] == "THE END"
    assert scenes[1]["duration_s"] == 4
    assert _charges(client, alice, gid) == [-3 * CLIP, -STORYBOARD]


def test_every_change_after_approval_is_a_409(client: TestClient, alice: dict[str, str]) -> None:
    detail = _review(client, alice, scenes=1)
    gid = detail["id"]
    scene = _scenes(detail)[0]
    assert client.post(f"/api/generations/{gid}/approve", headers=alice).status_code == 202
    base = f"/api/generations/{gid}/scenes"
    answers = [
        client.patch(f"{base}/{scene['id']}", json={"prompt": "Too late"}, headers=alice),
        client.post(base, json={"prompt": "Too late"}, headers=alice),
        client.delete(f"{base}/{scene['id']}", headers=alice),
        client.post(f"{base}/order", json={"ids": [scene["id"]]}, headers=alice),
        client.post(f"/api/generations/{gid}/approve", headers=alice),
    ]
    assert [a.status_code for a in answers] == [409] * 5
    assert wait_done(client, alice, gid)["status"] == "completed"
    assert client.patch(f"{base}/{scene['id']}", json={"prompt": "Later"}, headers=alice).status_code == 409
    assert _balance(client, alice) == START - STORYBOARD - CLIP


def test_approving_with_a_short_balance_is_a_402_and_changes_nothing(
    client: TestClient, alice: dict[str, str]
) -> None:
    detail = _review(client, alice, scenes=4)
    gid = detail["id"]
    # Five scenes cost 50 tokens; 49 are left after the storyboard.
    added = client.post(f"/api/generations/{gid}/scenes", json={"prompt": "One more"}, headers=alice)
    assert added.status_code == 201
    refused = client.post(f"/api/generations/{gid}/approve", headers=alice)
    assert refused.status_code == 402
    after = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert after["status"] == "awaiting_approval"
    assert after["tokens_charged"] == STORYBOARD
    assert len(_scenes(after)) == 5
    assert _balance(client, alice) == START - STORYBOARD
    assert {s["name"]: s["status"] for s in after["steps"]}["clips"] == "pending"


def test_another_user_gets_a_404_for_every_change(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    detail = _review(client, alice, scenes=1)
    gid = detail["id"]
    scene = _scenes(detail)[0]
    base = f"/api/generations/{gid}/scenes"
    answers = [
        client.patch(f"{base}/{scene['id']}", json={"prompt": "Mine now"}, headers=bob),
        client.post(base, json={"prompt": "Mine now"}, headers=bob),
        client.delete(f"{base}/{scene['id']}", headers=bob),
        client.post(f"{base}/order", json={"ids": [scene["id"]]}, headers=bob),
        client.post(f"/api/generations/{gid}/approve", headers=bob),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    kept = client.get(f"/api/generations/{gid}", headers=alice).json()
    assert kept["status"] == "awaiting_approval"
    assert _scenes(kept)[0]["description"] == scene["description"]
    assert _balance(client, bob) == START


def test_deleting_an_unapproved_storyboard_refunds_nothing_and_charges_nothing_more(
    client: TestClient, alice: dict[str, str]
) -> None:
    gid = _review(client, alice, scenes=2)["id"]
    assert client.delete(f"/api/generations/{gid}", headers=alice).status_code == 204
    assert client.get(f"/api/generations/{gid}", headers=alice).status_code == 404
    assert _balance(client, alice) == START - STORYBOARD
    ledger = client.get("/api/me/ledger", headers=alice).json()
    assert [(e["reason"], e["delta"]) for e in ledger] == [("charge", -STORYBOARD), ("grant", START)]


@pytest.mark.parametrize("mode", ["image", "video"])
def test_modes_without_a_storyboard_refuse_review_naming_it(
    client: TestClient, alice: dict[str, str], mode: str
) -> None:
    body = {"mode": mode, "prompt": "A lighthouse", "review": True}
    response = client.post("/api/generations", json=body, headers=alice)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"review: Value error, {mode} mode has no storyboard")
    assert _balance(client, alice) == START


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("scenes/{scene}", "PATCH", {"duration_s": 30}, "duration_s"),
        ("scenes/{scene}", "PATCH", {"prompt": "   "}, "prompt"),
        ("scenes/{scene}", "PATCH", {"on_screen_text": "x" * 201}, "on_screen_text"),
        ("scenes", "POST", {"prompt": "Late", "index": 9}, "index"),
        ("scenes", "POST", {"prompt": "Short", "duration_s": 1}, "duration_s"),
        ("scenes/order", "POST", {"ids": ["{scene}", "{scene}"]}, "ids"),
    ],
)
def test_bad_values_are_a_422_naming_the_field(
    client: TestClient, alice: dict[str, str], path: str, method: str, body: dict[str, Any], field: str
) -> None:
    detail = _review(client, alice, scenes=1)
    scene = _scenes(detail)[0]["id"]
    url = f"/api/generations/{detail['id']}/" + path.format(scene=scene)
    sent = {k: [i.format(scene=scene) for i in v] if k == "ids" else v for k, v in body.items()}
    response = client.request(method, url, json=sent, headers=alice)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}:")
    assert _scenes(client.get(f"/api/generations/{detail['id']}", headers=alice).json())[0]["id"] == scene


def test_a_retry_after_approval_charges_the_approved_scenes_not_the_requested_ones(
    client: TestClient, alice: dict[str, str]
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "navy").save(buf, "PNG")
    upload = client.post(
        "/api/uploads", files={"file": ("ref.png", buf.getvalue(), "image/png")}, headers=alice
    ).json()
    detail = _review(client, alice, scenes=1, reference_asset_ids=[upload["id"]])
    gid = detail["id"]
    assert (
        client.post(f"/api/generations/{gid}/scenes", json={"prompt": "Dawn"}, headers=alice).status_code
        == 201
    )
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    stored = next(Path(runtime.settings.data_dir, "blobs", "uploads").glob(f"{upload['id']}.*"))
    stored.write_bytes(b"broken: every clip of this generation now fails")
    assert client.post(f"/api/generations/{gid}/approve", headers=alice).status_code == 202
    assert wait_done(client, alice, gid)["status"] == "failed"
    assert client.post(f"/api/generations/{gid}/retry", headers=alice).status_code == 202
    assert wait_done(client, alice, gid)["status"] == "failed"
    # Two scenes were approved (one requested, one added): each run is charged, and refunded, for two.
    assert _charges(client, alice, gid) == [-2 * CLIP, -2 * CLIP, -STORYBOARD]
    assert _balance(client, alice) == START - STORYBOARD


@pytest.mark.slow
def test_the_cli_prints_the_storyboard_then_approve_renders_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    written = run_reelsmith(
        ["generate", "A lighthouse keeper's last night", "--scenes", "2", "--review"], data_dir
    )
    assert written.returncode == 0, written.stderr
    lines = written.stdout.strip().splitlines()
    assert [line[:3] for line in lines[:-1]] == ["1. ", "2. "]
    generation_id = lines[-1]
    assert f"reelsmith approve {generation_id}" in written.stderr
    rendered = run_reelsmith(["approve", generation_id], data_dir)
    assert rendered.returncode == 0, rendered.stderr
    assert Path(rendered.stdout.strip().splitlines()[-1]).is_file()
    again = run_reelsmith(["approve", generation_id], data_dir)
    assert again.returncode == 1
    assert "only a storyboard awaiting approval" in again.stderr


def test_the_generation_page_offers_the_storyboard_for_review(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"generation_rate_per_minute": 1000}), embedded_worker=True)
    with TestClient(app, base_url="http://testserver") as web:
        me = sign_in(web)
        body = {"mode": "story", "prompt": "A lighthouse keeper's last night", "scenes": 3, "review": True}
        gid = web.post("/api/generations", json=body, headers=me.headers).json()["id"]
        assert wait_done(web, me.headers, gid)["status"] == "awaiting_approval"
        html = web.get(f"/g/{gid}").text
        create = web.get("/create").text
    app.state.runtime.close()
    assert html.count("data-review-scene=") == 3
    assert 'data-action="approve"' in html
    assert "Approve and render" in html
    assert 'name="duration_s" type="number"' in html
    assert "data-add-scene" in html
    assert 'name="review" data-review' in create
