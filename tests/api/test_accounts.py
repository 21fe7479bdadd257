"""Sign-up, tokens, API keys, sessions with CSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import signup


def test_signup_grants_tokens_and_returns_a_working_bearer_token(client: TestClient) -> None:
    headers = signup(client, "carol")
    me = client.get("/api/me", headers=headers).json()
    assert me["username"] == "carol"
    assert me["token_balance"] == 50
    ledger = client.get("/api/me/ledger", headers=headers).json()
    assert [(e["delta"], e["reason"]) for e in ledger] == [(50, "grant")]


def test_duplicate_username_is_409(client: TestClient) -> None:
    signup(client, "dave")
    response = client.post("/api/auth/signup", json={"username": "Dave", "password": "another pass"})
    assert response.status_code == 409


def test_oauth2_password_flow(client: TestClient) -> None:
    signup(client, "erin")
    response = client.post("/api/auth/token", data={"username": "erin", "password": "correct horse"})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    token = response.json()["access_token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    wrong = client.post("/api/auth/token", data={"username": "erin", "password": "nope nope"})
    assert wrong.status_code == 401


def test_api_key_is_shown_once_works_and_can_be_revoked(client: TestClient, alice: dict[str, str]) -> None:
    created = client.post("/api/me/api-keys", json={"name": "ci"}, headers=alice).json()
    key_headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/me", headers=key_headers).json()["username"] == "alice"
    listed = client.get("/api/me/api-keys", headers=alice).json()
    assert "key" not in listed[0]
    assert listed[0]["prefix"] == created["key"][:10]
    assert client.delete(f"/api/me/api-keys/{created['id']}", headers=alice).status_code == 204
    assert client.get("/api/me", headers=key_headers).status_code == 401


def test_unauthenticated_is_401(client: TestClient) -> None:
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_cookie_session_needs_the_csrf_token_for_unsafe_requests(client: TestClient) -> None:
    signup(client, "frank")
    login = client.post("/api/auth/login", json={"username": "frank", "password": "correct horse"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    csrf = login.json()["csrf_token"]
    assert client.get("/api/me").status_code == 200  # safe method: cookie is enough
    blocked = client.post("/api/me/api-keys", json={})
    assert blocked.status_code == 403
    assert "CSRF" in blocked.json()["detail"]
    allowed = client.post("/api/me/api-keys", json={}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 201
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/me").status_code == 401


def test_someone_elses_or_an_unknown_api_key_is_404(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    created = client.post("/api/me/api-keys", json={"name": "mine"}, headers=alice).json()
    for key_id in (created["id"], "no-such-key"):
        response = client.delete(f"/api/me/api-keys/{key_id}", headers=bob)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    key_headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/me", headers=key_headers).status_code == 200  # still alice's, still working


def test_logout_ends_the_bearer_token(client: TestClient) -> None:
    headers = signup(client, "gina")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401
