"""The token ledger: atomic charges that never overdraw, and refunds that land exactly once.

A charge is one conditional UPDATE (`balance >= price`), so concurrent requests cannot push a
balance below zero; every movement also writes a ledger row whose unique idempotency key makes a
repeated charge or refund a no-op.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelsmith.db.models import LedgerEntry, User
from reelsmith.errors import InsufficientTokens
from reelsmith.vocabulary import LedgerReason


def _record(session: Session, entry: LedgerEntry) -> bool:
    """Insert the entry unless its key exists; the unique key decides even under concurrency."""
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == entry.idempotency_key)):
        return False
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return False
    return True


def _credit(session: Session, entry: LedgerEntry) -> bool:
    """Apply a positive entry once per key."""
    if entry.delta <= 0 or not _record(session, entry):
        return False
    session.execute(
        update(User).where(User.id == entry.user_id).values(token_balance=User.token_balance + entry.delta)
    )
    return True


def grant(session: Session, user_id: str, amount: int, key: str, note: str = "") -> bool:
    """Add tokens (sign-up grant, admin top-up); False if `key` was already applied."""
    return _credit(
        session,
        LedgerEntry(user_id=user_id, delta=amount, reason=LedgerReason.GRANT, idempotency_key=key, note=note),
    )


def charge(
    session: Session,
    user_id: str,
    amount: int,
    key: str,
    *,
    generation_id: str | None = None,
    scene_id: str | None = None,
    note: str = "",
) -> bool:
    """Take `amount` tokens or raise InsufficientTokens; False if `key` was already charged."""
    entry = LedgerEntry(
        user_id=user_id,
        delta=-amount,
        reason=LedgerReason.CHARGE,
        generation_id=generation_id,
        scene_id=scene_id,
        idempotency_key=key,
        note=note,
    )
    if amount <= 0 or not _record(session, entry):
        return False
    result = session.execute(
        update(User)
        .where(User.id == user_id, User.token_balance >= amount)
        .values(token_balance=User.token_balance - amount)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        balance = session.scalar(select(User.token_balance).where(User.id == user_id)) or 0
        raise InsufficientTokens(balance, amount)  # the caller's transaction rolls the entry back
    return True


def refund(
    session: Session,
    user_id: str,
    amount: int,
    key: str,
    *,
    generation_id: str | None = None,
    scene_id: str | None = None,
    note: str = "",
) -> bool:
    """Give back `amount` tokens once per `key`; False if already refunded."""
    return _credit(
        session,
        LedgerEntry(
            user_id=user_id,
            delta=amount,
            reason=LedgerReason.REFUND,
            generation_id=generation_id,
            scene_id=scene_id,
            idempotency_key=key,
            note=note,
        ),
    )


def history(session: Session, user_id: str, limit: int = 50) -> list[LedgerEntry]:
    """The user's latest token movements, newest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )
