"""What the settings page shows: the user as stored now, their latest token movements, their API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from reelsmith.accounts import api_keys, ledger
from reelsmith.accounts.service import reload_user
from reelsmith.db.models import ApiKey, LedgerEntry, User


@dataclass(frozen=True)
class SettingsData:
    """The settings page's content."""

    user: User
    ledger: list[LedgerEntry]
    keys: list[ApiKey]


def settings_data(session: Session, user: User) -> SettingsData:
    """The page's content, read from the accounts services; active keys are listed first."""
    keys = sorted(api_keys.list_api_keys(session, user.id), key=lambda k: k.revoked_at is not None)
    return SettingsData(reload_user(session, user), ledger.history(session, user.id), keys)
