"""Luma: Dream Machine's create, get, list and delete as the lumaai SDK sends them, and the Agents API's
create and get as luma-agents sends them, against the fake Reelsmith's adapters are tested on; the
fake's replies parsed with each SDK's own types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.providers.luma import LumaVideoModel
from reelsmith.providers.luma_agents import LumaAgentsVideoModel
from reelsmith.providers.registry import ProviderRegistry
from tests.contracts.capture import sdk, shape
from tests.fakes.drive import clip_request
from tests.fakes.luma_fake import LumaFake
from tests.fakes.server import CdnServer

WEBHOOK = "https://reelsmith.example/api/webhooks/luma/tok"


@pytest.fixture
def fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[LumaFake]:
    with LumaFake(sample_mp4, cdn, polls_needed=2) as server:
        yield server


@pytest.fixture
def registry(fake: LumaFake, make_registry: Callable[..., ProviderRegistry]) -> ProviderRegistry:
    return make_registry(
        LUMAAI_API_KEY=fake.key, luma_base_url=fake.base_url, luma_agents_base_url=fake.agents_base_url
    )


@pytest.fixture
def dream_client(fake: LumaFake) -> Any:
    """lumaai's client on the fake's Dream Machine API, without retries."""
    return sdk("lumaai").LumaAI(
        auth_token=fake.key, base_url=fake.base_url, max_retries=0, _strict_response_validation=True
    )


@pytest.fixture
def agents_client(fake: LumaFake) -> Any:
    """luma-agents' client on the fake's Agents API, without retries."""
    return sdk("luma_agents").Luma(
        auth_token=fake.key, base_url=fake.agents_base_url, max_retries=0, _strict_response_validation=True
    )


def dream(registry: ProviderRegistry) -> LumaVideoModel:
    model = registry.video("luma:ray-2")
    assert isinstance(model, LumaVideoModel)
    return model


def agents(registry: ProviderRegistry) -> LumaAgentsVideoModel:
    model = registry.video("luma:ray-3.2")
    assert isinstance(model, LumaAgentsVideoModel)
    return model


# -- Dream Machine ----------------------------------------------------------------------------------


def test_dream_machine_create_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: LumaFake, dream_client: Any
) -> None:
    dream(registry).submit(clip_request(webhook_url=WEBHOOK))
    ours = fake.calls("create")[-1]
    created = dream_client.generations.video.create(**ours.json())
    theirs = fake.calls("create")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert ours.path == "/dream-machine/v1/generations/video"
    assert created.state == "queued"
    assert created.request.callback_url == ours.json()["callback_url"]


def test_dream_machine_get_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: LumaFake, dream_client: Any
) -> None:
    model = dream(registry)
    handle = model.submit(clip_request())
    states = [model.poll(handle.external_id).state for _ in range(fake.polls_needed)]
    ours = fake.calls("get")[-1]
    generation = dream_client.generations.get(handle.external_id)
    theirs = fake.calls("get")[-1]
    assert shape(ours) == shape(theirs)
    assert states == ["queued", "succeeded"]
    assert generation.state == "completed"
    assert generation.assets.video.endswith(f"/files/{handle.external_id}.mp4")


def test_dream_machine_lookup_lists_as_the_sdk_does(
    registry: ProviderRegistry, fake: LumaFake, dream_client: Any
) -> None:
    model = dream(registry)
    handle = model.submit(clip_request(webhook_url=WEBHOOK))
    callback = fake.calls("create")[-1].json()["callback_url"]
    found = model.reconcile(clip_request(webhook_url=WEBHOOK))
    ours = fake.calls("list")[-1]
    page = dream_client.generations.list(limit=int(ours.query["limit"]), offset=int(ours.query["offset"]))
    theirs = fake.calls("list")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.query == theirs.query
    assert found is not None
    assert found.external_id == handle.external_id
    assert [g.id for g in page.generations] == [handle.external_id]
    # The marker the lookup matches on survives the SDK's own parse of the echoed request.
    assert page.generations[0].request.callback_url == callback


def test_dream_machine_cancel_deletes_as_the_sdk_does(
    registry: ProviderRegistry, fake: LumaFake, dream_client: Any
) -> None:
    model = dream(registry)
    first, second = model.submit(clip_request()), model.submit(clip_request())
    model.cancel(first.external_id)
    dream_client.generations.delete(second.external_id)
    ours, theirs = fake.calls("delete")[-2:]
    assert (ours.method, ours.path, shape(ours).auth) == (
        theirs.method,
        theirs.path.replace(second.external_id, first.external_id),
        shape(theirs).auth,
    )
    assert fake.jobs == {}


# -- Agents -------------------------------------------------------------------------------------------


def test_agents_create_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: LumaFake, agents_client: Any, reference_png: Path
) -> None:
    agents(registry).submit(clip_request(reference_images=(reference_png,)))
    ours = fake.calls("agents_create")[-1]
    created = agents_client.generations.create(**ours.json())
    theirs = fake.calls("agents_create")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert set(ours.json()["video"]["start_frame"]) == {"data", "media_type"}
    assert (created.state, created.type, created.model) == ("queued", "video", "ray-3.2")


def test_agents_get_is_sent_as_the_sdk_sends_it(
    registry: ProviderRegistry, fake: LumaFake, agents_client: Any, tmp_path: Path, sample_mp4: bytes
) -> None:
    model = agents(registry)
    handle = model.submit(clip_request())
    states = [model.poll(handle.external_id).state for _ in range(fake.polls_needed)]
    ours = fake.calls("agents_get")[-1]
    generation = agents_client.generations.get(handle.external_id)
    theirs = fake.calls("agents_get")[-1]
    assert shape(ours) == shape(theirs)
    assert states == ["queued", "succeeded"]
    (output,) = generation.output
    assert (generation.state, output.type) == ("completed", "video")
    model.fetch(handle.external_id, tmp_path / "clip.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == sample_mp4


def test_agents_failure_reads_alike(registry: ProviderRegistry, fake: LumaFake, agents_client: Any) -> None:
    model = agents(registry)
    handle = model.submit(clip_request(prompt=f"a {fake.policy_word} likeness"))
    for _ in range(fake.polls_needed):
        status = model.poll(handle.external_id)
    generation = agents_client.generations.get(handle.external_id)
    assert (status.state, generation.state) == ("failed", "failed")
    assert generation.failure_code == "content_moderated"
    assert status.permanent
    assert status.reason == f"{generation.failure_reason} ({generation.failure_code})"
