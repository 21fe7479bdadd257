"""Reference images as a service, without HTTP: the batch is charged once and its failures refunded once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from reelsmith.accounts.service import create_user
from reelsmith.config import Settings
from reelsmith.creative.references import ReferenceOrder, make_references
from reelsmith.db.models import Asset, LedgerEntry, User
from reelsmith.errors import InsufficientTokens, ProviderError
from reelsmith.runtime import Runtime, build_runtime
from reelsmith.vocabulary import LedgerReason
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import status_fault

REFUSED = status_fault(400, {"error": {"message": "injected refusal", "type": "invalid_request_error"}})


@dataclass(frozen=True)
class Studio:
    """A runtime whose `openai` image provider is the fake, and a user with 10 tokens."""

    rt: Runtime
    fake: OpenAIFake
    user_id: str


@pytest.fixture
def studio(settings: Settings) -> Iterator[Studio]:
    with OpenAIFake(b"no videos in these tests") as fake:
        rt = build_runtime(
            settings.model_copy(update={"openai_api_key": fake.key, "openai_base_url": fake.base_url})
        )
        with rt.db.write() as session:
            user_id = create_user(session, "painter", "long password", tokens=10).id
        yield Studio(rt, fake, user_id)
        rt.close()


def _ledger(rt: Runtime, user_id: str) -> list[tuple[str, int]]:
    with rt.db.read() as session:
        rows = session.execute(
            select(LedgerEntry.reason, LedgerEntry.delta)
            .where(LedgerEntry.user_id == user_id, LedgerEntry.reason != LedgerReason.GRANT)
            .order_by(LedgerEntry.id)
        ).all()
    return [(str(reason), int(delta)) for reason, delta in rows]


def _balance(rt: Runtime, user_id: str) -> int:
    with rt.db.read() as session:
        return int(session.scalars(select(User.token_balance).where(User.id == user_id)).one())


def test_a_partial_failure_is_refunded_once_for_the_images_that_failed(studio: Studio) -> None:
    studio.fake.inject("images", REFUSED)  # the first of the three requests to arrive is refused
    batch = make_references(
        studio.rt, studio.user_id, ReferenceOrder("A knight in silver armour", 3, image_provider="openai")
    )
    assert len(batch.images) == 2
    assert batch.failed == 1
    assert {i.provider for i in batch.images} == {"openai"}
    assert all(i.base64 is None for i in batch.images)
    assert _ledger(studio.rt, studio.user_id) == [("charge", -3), ("refund", 1)]
    assert _balance(studio.rt, studio.user_id) == 10 - 2
    with studio.rt.db.read() as session:
        stored = set(
            session.scalars(
                select(Asset.id).where(Asset.user_id == studio.user_id, Asset.kind == "reference")
            )
        )
    assert stored == {i.id for i in batch.images}


def test_when_every_image_fails_all_is_refunded_and_the_error_raised(studio: Studio) -> None:
    studio.fake.fail_always("images", REFUSED)
    with pytest.raises(ProviderError, match="injected refusal"):
        make_references(studio.rt, studio.user_id, ReferenceOrder("A cat", 2, image_provider="openai"))
    assert _ledger(studio.rt, studio.user_id) == [("charge", -2), ("refund", 2)]
    assert _balance(studio.rt, studio.user_id) == 10


def test_a_batch_the_user_cannot_afford_calls_no_provider(studio: Studio) -> None:
    with studio.rt.db.write() as session:
        poor = create_user(session, "pauper", "long password", tokens=1).id
    with pytest.raises(InsufficientTokens):
        make_references(studio.rt, poor, ReferenceOrder("A dog", 2, image_provider="openai"))
    assert studio.fake.calls("images") == []
    assert _ledger(studio.rt, poor) == []


def test_images_carry_their_bytes_when_asked(studio: Studio) -> None:
    batch = make_references(
        studio.rt, studio.user_id, ReferenceOrder("A fox", 1, image_provider="openai", include_base64=True)
    )
    assert batch.failed == 0
    assert batch.images[0].base64
    assert _ledger(studio.rt, studio.user_id) == [("charge", -1)]
