"""The writing steps: story, scenes, enhance and align through the configured text model.

Each reply is validated against its schema; an invalid reply is retried once with the validation
error fed back, then the step fails with a clear reason. Every exchange is recorded as an `llm`
event, which is the "conversation" users can read.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Generation, Scene, Step, Variant
from reelsmith.errors import NotFound, ProviderError, ReelsmithError
from reelsmith.pipeline.calls import recorded_call
from reelsmith.pipeline.narration import fit_to_lines, narrated, scene_line
from reelsmith.pipeline.progress import record_event
from reelsmith.prompts import json_schema_for, parse_reply, render_prompt, schema_name
from reelsmith.providers.base import TextRequest, TextResult
from reelsmith.providers.pricing import text_cost
from reelsmith.providers.registry import TEXT_PROVIDERS, parse_chain
from reelsmith.vocabulary import DEFAULT_VARIANT, Mode, VariantStatus

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

MIN_SCENE_S = 3.0
MAX_SCENE_S = 8.0
DEFAULT_CLIP_S = 5.0


def load_generation(rt: Runtime, generation_id: str) -> Generation:
    with rt.db.read() as session:
        gen = session.get(Generation, generation_id)
        if gen is None:
            raise NotFound(f"generation {generation_id} vanished")
        return gen


def step_output(rt: Runtime, generation_id: str, name: str) -> dict[str, Any]:
    with rt.db.read() as session:
        row = session.get(Step, (generation_id, name))
        if row is None or row.output is None:
            raise ReelsmithError(f"step {name} has no output to build on", code="pipeline")
        return dict(row.output)


def ask(rt: Runtime, gen: Generation, task: str, context: dict[str, Any]) -> dict[str, Any]:
    """Ask the generation's text provider chain for `task`'s JSON reply, validated."""
    chain = gen.inputs.text_provider or rt.settings.text_provider
    return ask_text(rt, task, context, chain, gen.id)


def ask_text(
    rt: Runtime, task: str, context: dict[str, Any], providers: str, generation_id: str | None
) -> dict[str, Any]:
    """Ask a text provider chain for `task`'s JSON reply and return it validated.

    With a generation id the calls and the exchange are recorded against that generation.
    """
    chain = parse_chain(providers, TEXT_PROVIDERS, "text_provider")
    system, user = render_prompt(task, **context)
    last_error = "no provider answered"
    for name in chain:
        model = rt.providers.text(name)
        feedback = ""
        for attempt in (1, 2):
            request = TextRequest(
                task=task,
                system=system,
                user=user + feedback,
                schema_name=schema_name(task),
                schema=json_schema_for(task),
                context=context,
            )
            try:
                result = recorded_call(
                    rt,
                    generation_id=generation_id,
                    provider=name,
                    model=model.model,
                    operation=f"text:{task}",
                    call=partial(model.complete_json, request),
                    cost=partial(_text_cost, rt, name, model.model),
                )
            except ProviderError as e:
                last_error = e.message if e.message.startswith(name) else f"{name}: {e.message}"
                break  # next provider in the chain
            try:
                reply = parse_reply(task, result.data).model_dump(mode="json")
            except ValidationError as e:
                last_error = f"{name} returned an invalid {task} reply: {_short(e)}"
                _record_exchange(rt, generation_id, name, task, request, result, error=last_error)
                feedback = (
                    "\n\nYour previous reply was rejected by the schema validator:\n"
                    f"{_short(e)}\nReply again with JSON that satisfies the schema exactly."
                )
                if attempt == 2:
                    break
                continue
            _record_exchange(rt, generation_id, name, task, request, result)
            return reply
    raise ProviderError(last_error, permanent=True)


def _text_cost(rt: Runtime, provider: str, model: str, result: TextResult) -> float:
    return text_cost(provider, model, result.input_tokens, result.output_tokens, prices=rt.settings.prices)


def _record_exchange(
    rt: Runtime,
    generation_id: str | None,
    provider: str,
    task: str,
    request: TextRequest,
    result: TextResult,
    error: str | None = None,
) -> None:
    if generation_id is None:
        return
    with rt.db.write() as session:
        record_event(
            session,
            generation_id,
            "llm",
            {
                "task": task,
                "provider": provider,
                "model": result.model,
                "system": request.system,
                "user": request.user,
                "reply": result.raw,
                "error": error,
            },
        )


def _short(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or 'reply'}: {item['msg']}" for item in error.errors()[:8]
    )


def compute_story(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Write the story (and, for a narrated story on the offline voice, start loading that voice)."""
    gen = load_generation(rt, generation_id)
    if narrated(gen.mode, gen.inputs):
        _warm_offline_voice(rt, gen)
    return ask(
        rt,
        gen,
        "story",
        {
            "prompt": gen.prompt,
            "title": gen.title,
            "mode": gen.mode,
            "scene_count": gen.inputs.scene_count,
        },
    )


def _warm_offline_voice(rt: Runtime, gen: Generation) -> None:
    """Load the offline voice in the background while the writer writes: its ~2 s load would otherwise
    sit in front of the first line, after the clips have started."""
    from reelsmith.pipeline.speech_task import speech_chain

    chain = speech_chain(rt, gen)
    if chain and chain[0].split(":", 1)[0] == "local":
        from reelsmith.providers.local.speech import warm_voice

        warm_voice()


def apply_story(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Take the story's title when the user gave none."""
    if not gen.title:
        gen.title = str(output.get("title", ""))[:200]


def compute_scenes(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Split the story into exactly the requested number of scenes."""
    gen = load_generation(rt, generation_id)
    story = step_output(rt, generation_id, "story")
    count = gen.inputs.scene_count
    song = step_output(rt, generation_id, "audio") if gen.mode == Mode.MUSIC_VIDEO else None
    reply = ask(
        rt,
        gen,
        "scenes",
        {
            "prompt": gen.prompt,
            "story": story,
            "scene_count": count,
            "min_duration_s": MIN_SCENE_S if song is None else min(song["lengths"]),
            "max_duration_s": MAX_SCENE_S if song is None else max(song["lengths"]),
            "target_total_s": gen.inputs.target_total_s if song is None else song["duration_s"],
            "mode": gen.mode,
            "narration": narrated(gen.mode, gen.inputs),
        },
    )
    if len(reply["scenes"]) != count:
        raise ProviderError(f"asked for {count} scenes, the writer returned {len(reply['scenes'])}")
    if song is not None:
        # The cuts come from the song's beats, whatever lengths the writer proposed.
        for scene, length in zip(reply["scenes"], song["lengths"], strict=True):
            scene["duration_s"] = length
    elif narrated(gen.mode, gen.inputs):
        fit_to_lines(reply["scenes"])  # a scene lasts at least as long as its line takes to say
    return reply


def compute_single_scene(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Quick video mode: the prompt itself is the one scene (no writer involved)."""
    gen = load_generation(rt, generation_id)
    return {
        "scenes": [
            {
                "description": gen.prompt,
                "negative_prompt": "blurry, distorted, low quality, watermark",
                "duration_s": gen.inputs.duration_s or DEFAULT_CLIP_S,
                "camera": "slow push-in",
                "on_screen_text": gen.title[:60],
            }
        ]
    }


def apply_scenes(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Create the default variant and its scene rows."""
    add_variant(session, gen, DEFAULT_VARIANT, output["scenes"])


def add_variant(session: Session, gen: Generation, kind: str, scenes: list[dict[str, Any]]) -> None:
    """A pending variant of `kind` with one scene row per written scene."""
    variant = Variant(generation_id=gen.id, kind=kind, status=VariantStatus.PENDING, total_scenes=len(scenes))
    session.add(variant)
    session.flush()
    narrate = narrated(gen.mode, gen.inputs)
    for index, draft in enumerate(scenes):
        session.add(
            Scene(
                variant_id=variant.id,
                index=index,
                description=draft["description"],
                negative_prompt=draft.get("negative_prompt", ""),
                duration_s=float(draft["duration_s"]),
                camera=draft.get("camera", ""),
                on_screen_text=draft.get("on_screen_text", "")[:200],
                narration=scene_line(draft, narrate),
                voice=gen.inputs.voice if narrate else "",
            )
        )


def _current_scenes(rt: Runtime, generation_id: str) -> list[dict[str, Any]]:
    with rt.db.read() as session:
        rows = session.scalars(
            select(Scene).join(Variant).where(Variant.generation_id == generation_id).order_by(Scene.index)
        )
        return [
            {
                "index": s.index,
                "description": s.description,
                "negative_prompt": s.negative_prompt,
                "duration_s": s.duration_s,
                "camera": s.camera,
                "on_screen_text": s.on_screen_text,
            }
            for s in rows
        ]


def compute_enhance(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Rewrite each scene prompt with cinematic detail."""
    gen = load_generation(rt, generation_id)
    story = step_output(rt, generation_id, "story")
    return ask(rt, gen, "enhance", {"story": story, "scenes": _current_scenes(rt, generation_id)})


def compute_align(rt: Runtime, generation_id: str) -> dict[str, Any]:
    """Make characters and style consistent across scenes."""
    gen = load_generation(rt, generation_id)
    story = step_output(rt, generation_id, "story")
    return ask(rt, gen, "align", {"story": story, "scenes": _current_scenes(rt, generation_id)})


def apply_rewrite(session: Session, gen: Generation, output: dict[str, Any]) -> None:
    """Store rewritten descriptions (and negative prompts / style anchor when given)."""
    by_index = {item["index"]: item for item in output["scenes"]}
    scenes = session.scalars(select(Scene).join(Variant).where(Variant.generation_id == gen.id))
    for scene in scenes:
        item = by_index.get(scene.index)
        if item is None:
            continue
        scene.description = item["description"]
        if item.get("negative_prompt"):
            scene.negative_prompt = item["negative_prompt"]
    if output.get("style_anchor"):
        gen.update_state(style_anchor=output["style_anchor"])
