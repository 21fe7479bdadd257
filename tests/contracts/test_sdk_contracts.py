"""What Reelsmith's adapters send, compared with what the providers' official SDKs send for the same
operation, against one loopback capture server (the fakes); the fakes' replies parsed by the SDKs'
own response types. A fake cannot agree with a wrong adapter once the SDK disagrees with both.

The SDKs are test dependencies only. A missing one is a skip whose reason starts with "not installed"
(CI counts that as a failure); an SDK that cannot be pointed at a local URL is skipped saying so.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelsmith.providers.catalogue import ModelEntry, shipped
from reelsmith.providers.registry import ProviderRegistry
from reelsmith.providers.runway import RATIOS
from tests.contracts.capture import sdk, shape
from tests.fakes.drive import clip_request
from tests.fakes.replicate_fake import ReplicateFake
from tests.fakes.runway_fake import IMAGE_MODELS, TEXT_MODELS, RunwayFake, Schema
from tests.fakes.server import CdnServer


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
    assert shape(ours) == shape(theirs)
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
    assert shape(ours) == shape(theirs)
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


def test_runway_text_create_is_sent_as_the_sdk_sends_it(
    runway_fake: RunwayFake, make_registry: Callable[..., ProviderRegistry]
) -> None:
    runwayml = sdk("runwayml")
    registry = make_registry(RUNWAYML_API_SECRET=runway_fake.key, runway_base_url=runway_fake.base_url)
    registry.video("runway:gen4.5").submit(clip_request(aspect="9:16"))  # no reference image
    ours = runway_fake.calls("create_text")[-1]
    body = ours.json()
    client = runwayml.RunwayML(api_key=runway_fake.key, base_url=runway_fake.url, max_retries=0)
    created = client.text_to_video.create(
        model=body["model"], prompt_text=body["promptText"], ratio=body["ratio"],
        duration=body["duration"], seed=body["seed"],
    )  # fmt: skip
    theirs = runway_fake.calls("create_text")[-1]
    assert shape(ours) == shape(theirs)
    assert ours.json() == theirs.json()
    assert created.estimated_cost.credits > 0  # the fake's reply read by the SDK's response type


# The SDK's request params per endpoint: a union of one TypedDict per model.
RUNWAY_PARAMS = {
    "text": ("runwayml.types.text_to_video_create_params", "TextToVideoCreateParams"),
    "image": ("runwayml.types.image_to_video_create_params", "ImageToVideoCreateParams"),
}
_WRAPPERS = {typing.Required, typing.NotRequired}


def _runway_params(endpoint: str, model: str) -> dict[str, Any] | None:
    """The SDK's params of `model` on an endpoint, JSON field name → type; None when it lacks the model."""
    sdk("runwayml")
    module, name = RUNWAY_PARAMS[endpoint]
    for params in typing.get_args(getattr(importlib.import_module(module), name)):
        fields: dict[str, Any] = {}
        for key, hint in typing.get_type_hints(params, include_extras=True).items():
            while typing.get_origin(hint) in _WRAPPERS:
                hint = typing.get_args(hint)[0]
            if typing.get_origin(hint) is typing.Annotated:
                aliases = [getattr(m, "alias", None) for m in hint.__metadata__]
                key = next((a for a in aliases if a), key)
                hint = typing.get_args(hint)[0]
            fields[key] = hint
        if typing.get_args(fields["model"]) == (model,):
            return fields
    return None


def _literals(hint: Any) -> set[Any]:
    """The values of a Literal type, also inside a Union (`int | Literal["auto"]`); empty for plain types."""
    if typing.get_origin(hint) is typing.Literal:
        return set(typing.get_args(hint))
    return {v for arg in typing.get_args(hint) for v in _literals(arg)}


RUNWAY_ENTRIES = [e for e in shipped().entries() if e.provider == "runway"]


@pytest.mark.parametrize("entry", RUNWAY_ENTRIES, ids=[e.id for e in RUNWAY_ENTRIES])
def test_runway_catalogue_entries_are_the_sdks_params(entry: ModelEntry) -> None:
    caps = entry.capabilities
    text = _runway_params("text", entry.id)
    assert (text is None) == caps.needs_start_image
    for with_image, params in ((False, text), (True, _runway_params("image", entry.id))):
        if params is None:
            continue
        ratios = _literals(params["ratio"])
        assert {a for a, ratio in RATIOS.items() if ratio in ratios} == set(caps.aspects_for(with_image))
        durations = {d for d in _literals(params["duration"]) if isinstance(d, int)}
        if durations:  # where the SDK types them; otherwise only its docstring bounds them
            assert durations == set(caps.allowed_durations())
        assert bool(entry.fields.seed) == ("seed" in params)


@pytest.mark.parametrize(
    ("endpoint", "model", "schema"),
    [*(("text", m, s) for m, s in TEXT_MODELS.items()), *(("image", m, s) for m, s in IMAGE_MODELS.items())],
    ids=[*(f"text-{m}" for m in TEXT_MODELS), *(f"image-{m}" for m in IMAGE_MODELS)],
)
def test_runway_fake_checks_the_sdks_params(endpoint: str, model: str, schema: Schema) -> None:
    params = _runway_params(endpoint, model)
    assert params is not None
    assert schema.ratios == _literals(params["ratio"])
    durations = {d for d in _literals(params["duration"]) if isinstance(d, int)}
    assert not durations or schema.durations == durations
    assert schema.fields <= set(params)


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
