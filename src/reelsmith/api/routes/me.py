"""The caller's own account: balance, storage used by uploads, ledger, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from reelsmith.accounts import api_keys, ledger
from reelsmith.accounts.service import reload_user
from reelsmith.api.schemas import UserRead, user_read
from reelsmith.db.models import ApiKey, LedgerEntry
from reelsmith.generations.uploads import quota_bytes, storage_used
from reelsmith.server.deps import ReadSession, RuntimeDep, UserDep
from reelsmith.vocabulary import LedgerReason

router = APIRouter(prefix="/api/me", tags=["me"])


class MeRead(UserRead):
    """Me as I see myself: the account, and how much of the upload quota my uploads take."""

    storage_used_bytes: int
    storage_quota_bytes: int


class LedgerRead(BaseModel):
    """One token movement."""

    id: int
    delta: int
    reason: LedgerReason
    generation_id: str | None
    note: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    """A label for a new key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)


class ApiKeyRead(BaseModel):
    """A key as listed (never the secret)."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A new key: `key` is shown this once and never again."""

    key: str


@router.get("", response_model=MeRead)
def me(user: UserDep, session: ReadSession, rt: RuntimeDep) -> dict[str, Any]:
    """Who I am, my token balance, and the storage my uploads use of my quota."""
    return {
        **user_read(reload_user(session, user)),
        "storage_used_bytes": storage_used(session, user.id),
        "storage_quota_bytes": quota_bytes(rt.settings),
    }


@router.get("/ledger", response_model=list[LedgerRead])
def my_ledger(
    user: UserDep, session: ReadSession, limit: int = Query(default=50, ge=1, le=500)
) -> list[LedgerEntry]:
    """My token movements, newest first."""
    return ledger.history(session, user.id, limit)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def new_api_key(body: ApiKeyCreate, user: UserDep, rt: RuntimeDep) -> dict[str, Any]:
    """Create an API key; the response is the only time the key is shown."""
    key, secret = api_keys.issue_api_key(rt, user.id, body.name)
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "last_used_at": None,
        "revoked_at": None,
        "key": secret,
    }


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(user: UserDep, session: ReadSession) -> list[ApiKey]:
    """My API keys (without secrets)."""
    return api_keys.list_api_keys(session, user.id)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(key_id: str, user: UserDep, rt: RuntimeDep) -> Response:
    """Revoke one of my API keys."""
    api_keys.revoke_api_key(rt, user.id, key_id)
    return Response(status_code=204)
