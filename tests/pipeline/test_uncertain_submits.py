"""A create whose answer is lost after it reached the provider: never a second paid job.

Each provider's fake makes the job and then hangs up (or answers too late). Providers whose jobs can
be listed (Replicate, ComfyUI) are looked up and the generation completes on the one job; those that
cannot (fal, Runway) fail the scene as "submission uncertain" and refund the clip to the token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelsmith.accounts import ledger
from reelsmith.config import Settings
from reelsmith.db.models import ProviderCall, User
from reelsmith.generations.schemas import GenerationCreate, ProviderChoice
from reelsmith.generations.service import create_generation, ensure_local_user
from reelsmith.runtime import Runtime
from reelsmith.vocabulary import Mode
from tests.fakes.comfyui_fake import ComfyUIFake
from tests.fakes.fal_fake import FalFake
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.server import CdnServer, Reply, created_then_dropped, created_then_slow
from tests.pipeline.helpers import runtime_on, wait_for_end

GRANT = 500


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    """A ComfyUI workflow with the prompt placeholder."""
    path = tmp_path / "wan.json"
    path.write_text('{"3": {"class_type": "KSampler", "inputs": {"text": "{{prompt}}", "seed": "{{seed}}"}}}')
    return path


def _run(rt: Runtime, provider: str) -> tuple[dict[str, Any], int, list[ProviderCall]]:
    """One paid one-clip video on `provider`: its end, the user's balance after it, its submit calls."""
    user = ensure_local_user(rt)
    with rt.db.write() as session:
        ledger.grant(session, user, GRANT, f"grant:{provider}")
    gid = create_generation(
        rt,
        user,
        GenerationCreate(
            mode=Mode.VIDEO,
            prompt="A paper boat on a puddle",
            duration_s=4,
            providers=ProviderChoice(video=provider),
        ),
    )
    data = wait_for_end(rt, gid, timeout_s=60)
    with rt.db.read() as session:
        owner = session.get(User, user)
        assert owner is not None
        calls = list(
            session.scalars(
                select(ProviderCall).where(
                    ProviderCall.generation_id == gid, ProviderCall.operation == "submit"
                )
            )
        )
        return data, owner.token_balance, calls


LOST = [created_then_dropped(), created_then_slow(2.0)]
LOST_IDS = ["dropped", "timed-out"]


@pytest.mark.parametrize("fault", LOST, ids=LOST_IDS)
def test_replicate_finds_the_prediction_and_completes_on_it(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer, fault: Reply
) -> None:
    with ReplicateFake(sample_mp4, cdn, polls_needed=1) as fake:
        fake.inject("create", fault)
        with runtime_on(settings, REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url) as rt:
            data, _, calls = _run(rt, "replicate")
        assert data["status"] == "completed", data["error_message"]
        assert len(fake.jobs) == 1  # one prediction, one bill
        assert len(fake.calls("create")) == 1
        (call,) = calls
        assert call.external_id == next(iter(fake.jobs))
        assert call.sends == 1


@pytest.mark.parametrize("fault", LOST, ids=LOST_IDS)
def test_comfyui_finds_the_queued_prompt_and_completes_on_it(
    settings: Settings, sample_mp4: bytes, workflow: Path, fault: Reply
) -> None:
    with ComfyUIFake(sample_mp4, polls_needed=1) as fake:
        fake.honours_prompt_id = False  # found by the key in extra_data, not by our prompt_id
        fake.inject("prompt", fault)
        with runtime_on(settings, COMFYUI_URL=fake.url, comfyui_workflow=workflow) as rt:
            data, _, _ = _run(rt, "comfyui")
        assert data["status"] == "completed", data["error_message"]
        assert len(fake.calls("prompt")) == 1
        assert len(fake.jobs) == 1


def _fal(fake: FalFake) -> dict[str, Any]:
    return {"FAL_KEY": fake.key, "fal_base_url": fake.base_url}


@pytest.mark.parametrize("fault", LOST, ids=LOST_IDS)
def test_fal_cannot_look_it_up_so_the_scene_fails_uncertain_with_an_exact_refund(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer, fault: Reply
) -> None:
    with FalFake(sample_mp4, cdn, polls_needed=1) as fake:
        fake.inject("submit", fault)
        with runtime_on(settings, **_fal(fake)) as rt:
            data, balance, calls = _run(rt, "fal,local")
    assert data["status"] == "failed"
    assert "uncertain" in data["error_message"]
    (scene,) = data["variants"][0]["scenes"]
    assert "uncertain" in scene["error_message"]
    assert scene["provider"] == "fal"  # no failover to local: that could pay for the clip twice
    assert len(fake.jobs) == 1
    assert len(fake.calls("submit")) == 1
    assert balance == GRANT  # charged, then refunded to the token
    assert [c.provider for c in calls] == ["fal"]


def test_the_setting_lets_an_uncertain_submit_fail_over(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer
) -> None:
    with FalFake(sample_mp4, cdn, polls_needed=1) as fake:
        fake.inject("submit", created_then_dropped())
        with runtime_on(settings, resubmit_uncertain=True, clip_attempts=1, **_fal(fake)) as rt:
            data, _, calls = _run(rt, "fal,local")
    assert data["status"] == "completed", data["error_message"]
    assert [c.provider for c in calls] == ["fal", "local"]


def test_a_create_that_made_nothing_is_sent_again_after_the_lookups(
    settings: Settings, sample_mp4: bytes, cdn: CdnServer
) -> None:
    # A 502 served instead of the create: the listing shows no prediction, so the same submission
    # is sent again, once, and the generation completes on one prediction.
    from tests.fakes.server import status_fault

    with ReplicateFake(sample_mp4, cdn, polls_needed=1) as fake:
        fake.inject("create", status_fault(502, {"detail": "Bad Gateway"}))
        with runtime_on(settings, REPLICATE_API_TOKEN=fake.key, replicate_base_url=fake.base_url) as rt:
            data, _, calls = _run(rt, "replicate")
        assert data["status"] == "completed", data["error_message"]
        assert len(fake.calls("create")) == 2
        assert len(fake.jobs) == 1
        assert len(fake.calls("list")) >= 2  # looked up twice before sending again
        (call,) = calls
        assert call.sends == 2
