"""Acting on several generations at once: a result per id, each item all-or-nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import insert_generation, user_id

MISSING = "00000000-0000-0000-0000-000000000000"


def _batch(
    client: TestClient, headers: dict[str, str], action: str, ids: list[str]
) -> list[dict[str, object]]:
    answer = client.post("/api/generations/batch", json={"action": action, "ids": ids}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def _visibility(client: TestClient, headers: dict[str, str], gid: str) -> str:
    return str(client.get(f"/api/generations/{gid}", headers=headers).json()["visibility"])


def test_publish_reports_each_id_and_publishes_only_what_it_may(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    ready = insert_generation(client, user_id(client, "alice"))
    failed = insert_generation(client, user_id(client, "alice"), status="failed")
    bobs = insert_generation(client, user_id(client, "bob"))
    results = _batch(client, alice, "publish", [ready, MISSING, failed, bobs])
    assert [(r["id"], r["ok"], r["status"]) for r in results] == [
        (ready, True, 200),
        (MISSING, False, 404),
        (failed, False, 409),
        (bobs, False, 404),
    ]
    assert results[0]["visibility"] == "published"
    assert "not found" in str(results[1]["detail"])
    # The failed item was left as it was; bob's was not touched.
    assert _visibility(client, alice, failed) == "draft"
    assert _visibility(client, bob, bobs) == "draft"
    assert [i["id"] for i in client.get("/api/feed").json()["items"]] == [ready]


def test_unpublish_takes_each_back_to_drafts(client: TestClient, alice: dict[str, str]) -> None:
    owner = user_id(client, "alice")
    first = insert_generation(client, owner, visibility="published")
    second = insert_generation(client, owner, visibility="published")
    results = _batch(client, alice, "unpublish", [first, second])
    assert [(r["ok"], r["visibility"]) for r in results] == [(True, "draft"), (True, "draft")]
    assert client.get("/api/feed").json()["items"] == []


def test_delete_removes_what_it_finds_and_reports_the_rest(client: TestClient, alice: dict[str, str]) -> None:
    owner = user_id(client, "alice")
    first, second = insert_generation(client, owner), insert_generation(client, owner)
    results = _batch(client, alice, "delete", [first, MISSING, second, first])
    assert [(r["ok"], r["status"]) for r in results] == [(True, 204), (False, 404), (True, 204), (False, 404)]
    for gid in (first, second):
        assert client.get(f"/api/generations/{gid}", headers=alice).status_code == 404


def test_a_batch_names_a_known_action_and_at_least_one_id(client: TestClient, alice: dict[str, str]) -> None:
    wrong = client.post("/api/generations/batch", json={"action": "archive", "ids": ["x"]}, headers=alice)
    assert wrong.status_code == 422
    assert "action" in wrong.text
    empty = client.post("/api/generations/batch", json={"action": "delete", "ids": []}, headers=alice)
    assert empty.status_code == 422
    assert "ids" in empty.text
