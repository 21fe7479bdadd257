"""What Reelsmith's adapters send, compared with what the providers' official SDKs send for the same
operation, against one loopback capture server (the fakes); the fakes' replies parsed by the SDKs'
own response types. A fake cannot agree with a wrong adapter once the SDK disagrees with both.

The SDKs are test dependencies only. A missing one is a skip whose reason starts with "not installed"
(CI counts that as a failure); an SDK that cannot be pointed at a local URL is skipped saying so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reelsmith.providers.registry import ProviderRegistry
from tests.fakes.drive import clip_request
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.runway_fake import RunwayFake
from tests.fakes.server import CdnServer, Recorded


def sdk(name: str) -> ModuleType:
    """The SDK module, or a skip naming the missing install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"not installed: {name} (pip install -e '.[test]')")


def _shape(request: Recorded) -> tuple[str, str, str, frozenset[str]]:
    """What must agree: method, path, auth scheme and the JSON body's top-level field names."""
    auth = request.headers.get("authorization", "").split(" ")[0]
    body = request.json()
    return request.method, request.path, auth, frozenset(body) if isinstance(body, dict) else frozenset()


@pytest.fixture
def replicate_fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[ReplicateFake]:
    with ReplicateFake(sample_mp4, cdn) as fake:
        yield fake


@pytest.fixture
def runway_fake(sample_mp4: bytes, cdn: CdnServer) -> Iterator[RunwayFake]:
    with RunwayFake(sample_mp4, cdn) as fake:
        yield fake


def test_replicate_create_is_sent_as_the_sdk_sends_it(
    replicate_fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    replicate = sdk("replicate")
    registry = make_registry(
        REPLICATE_API_TOKEN=replicate_fake.key, replicate_base_url=replicate_fake.base_url
    )
    registry.video("replicate:kwaivgi/kling-v3-video").submit(clip_request())
    ours = replicate_fake.calls("create")[-1]
    client = replicate.Client(api_token=replicate_fake.key, base_url=replicate_fake.url)
    client.models.predictions.create(model="kwaivgi/kling-v3-video", input=ours.json()["input"])
    theirs = replicate_fake.calls("create")[-1]
    assert _shape(ours) == _shape(theirs)
    assert ours.json()["input"] == theirs.json()["input"]


def test_replicate_fake_replies_parse_as_the_sdk_types(
    replicate_fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    replicate = sdk("replicate")
    client = replicate.Client(api_token=replicate_fake.key, base_url=replicate_fake.url)
    created = client.models.predictions.create(model="kwaivgi/kling-v3-video", input={"prompt": "a kite"})
    got = client.predictions.get(created.id)
    assert got.id == created.id
    assert got.status in ("starting", "processing", "succeeded")
    page = client.predictions.list()
    assert [p.id for p in page.results] == [created.id]


def test_replicate_lookup_reads_the_list_as_the_sdk_does(
    replicate_fake: ReplicateFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    replicate = sdk("replicate")
    registry = make_registry(
        REPLICATE_API_TOKEN=replicate_fake.key, replicate_base_url=replicate_fake.base_url
    )
    model = registry.video("replicate:kwaivgi/kling-v3-video")
    model.reconcile(clip_request())  # type: ignore[attr-defined]
    client = replicate.Client(api_token=replicate_fake.key, base_url=replicate_fake.url)
    client.predictions.list()
    ours, theirs = replicate_fake.calls("list")[-2:]
    assert (ours.method, ours.path) == (theirs.method, theirs.path)
    assert ours.headers["authorization"] == theirs.headers["authorization"]


def test_runway_create_is_sent_as_the_sdk_sends_it(
    runway_fake: RunwayFake, make_registry: Callable[..., ProviderRegistry], reference_png: Path
) -> None:
    runwayml = sdk("runwayml")
    registry = make_registry(RUNWAYML_API_SECRET=runway_fake.key, runway_base_url=runway_fake.base_url)
    registry.video("runway:gen4.5").submit(clip_request(reference_images=(reference_png,)))
    ours = runway_fake.calls("create")[-1]
    body = ours.json()
    client = runwayml.RunwayML(api_key=runway_fake.key, base_url=runway_fake.url, max_retries=0)
    client.image_to_video.create(
        model=body["model"], prompt_image=body["promptImage"], prompt_text=body["promptText"],
        ratio=body["ratio"], duration=body["duration"], seed=body["seed"],
    )  # fmt: skip
    theirs = runway_fake.calls("create")[-1]
    assert _shape(ours) == _shape(theirs)
    assert ours.headers["x-runway-version"] == theirs.headers["x-runway-version"]
    assert ours.json() == theirs.json()


def test_runway_fake_tasks_parse_as_the_sdk_types(runway_fake: RunwayFake, reference_png: Path) -> None:
    runwayml = sdk("runwayml")
    from reelsmith.providers.inputs import data_uri

    client = runwayml.RunwayML(api_key=runway_fake.key, base_url=runway_fake.url, max_retries=0)
    created = client.image_to_video.create(
        model="gen4.5", prompt_image=data_uri(reference_png, provider="runway"), prompt_text="a kite",
        ratio="1280:720", duration=5,
    )  # fmt: skip
    states = [client.tasks.retrieve(created.id).status for _ in range(runway_fake.polls_needed)]
    assert states == ["PENDING", "RUNNING", "SUCCEEDED"]


def test_fal_request_shape_is_pinned_to_the_published_schema(
    make_registry: Callable[..., ProviderRegistry], sample_mp4: bytes, cdn: CdnServer
) -> None:
    # fal-client hard-codes its https queue host, so no SDK can be pointed here: the request is pinned
    # to fal's published queue API (POST /{model_id} with the model's input JSON, `Authorization: Key`)
    # and fal-ai/veo3.1's input schema (prompt, aspect_ratio, duration "4s"|"6s"|"8s", negative_prompt).
    from tests.fakes.fal_fake import FalFake

    with FalFake(sample_mp4, cdn) as fake:
        registry = make_registry(FAL_KEY=fake.key, fal_base_url=fake.base_url)
        registry.video("fal:fal-ai/veo3.1").submit(clip_request(duration_s=5.2))
        (sent,) = fake.calls("submit")
    assert (sent.method, sent.path) == ("POST", "/fal-ai/veo3.1")
    assert sent.headers["authorization"] == f"Key {fake.key}"
    body = sent.json()
    assert set(body) <= {"prompt", "aspect_ratio", "duration", "negative_prompt", "seed", "resolution",
                         "generate_audio", "image_url", "auto_fix", "enhance_prompt"}  # fmt: skip
    assert body["duration"] in ("4s", "6s", "8s")
    assert body["aspect_ratio"] in ("16:9", "9:16")
