"""`reelsmith`: make videos from prompts, offline by default.

Heavy modules (SQLAlchemy, PyAV, the pipeline) are imported inside commands so that `--help` and
simple commands start fast.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reelsmith.cli.common import err, fail, open_runtime, out
from reelsmith.vocabulary import CREATIVE_MODES, AspectRatio, CaptionMode, GenerationStatus, Mode, Transition

if TYPE_CHECKING:
    from reelsmith.generations.read_models import GenerationRead
    from reelsmith.runtime import Runtime

# The umask the command was started with (the callback swaps it for 077 and keeps the old one here).
_caller_umask = [0o022]

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(db_app, name="db")
user_app = typer.Typer(no_args_is_help=True, help="User accounts.")
app.add_typer(user_app, name="user")


DEMO_PROMPT = "A luxurious perfume advertisement"


# The CLI spells modes with hyphens (`music-video`); the modes themselves come from the vocabulary.
MODE_CHOICES = {m.cli_name: m for m in CREATIVE_MODES}


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """Reelsmith: a self-hostable AI video studio."""
    # Everything the commands write (database, secret key, blobs, scratch files) is the owner's alone;
    # a file written where the user asked (--out) gets the permissions the user's own umask gives.
    _caller_umask[0] = os.umask(0o077)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def demo(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the video.")] = Path(
        "reelsmith-demo.mp4"
    ),
) -> None:
    """Render a narrated 4-scene story video offline (local provider and voice, captions burned in);
    prints the output path last."""
    from reelsmith.generations.schemas import GenerationCreate, ProviderChoice

    request = GenerationCreate(
        mode=Mode.STORY,
        prompt=DEMO_PROMPT,
        scenes=4,
        aspect_ratio=AspectRatio.LANDSCAPE,
        providers=ProviderChoice(text="local", image="local", video="local", speech="local"),
        narration=True,
        captions=CaptionMode.BURN,
    )
    _run(request, images=[], out_path=out_path, as_json=False)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What the video is about.")],
    mode: Annotated[str, typer.Option(help=f"What to make: {', '.join(MODE_CHOICES)}.")] = "story",
    scenes: Annotated[int, typer.Option(help="Number of scenes (story mode), 1-20.")] = 4,
    aspect: Annotated[
        str, typer.Option(help=f"Frame shape: {', '.join(AspectRatio)}.")
    ] = AspectRatio.LANDSCAPE.value,
    title: Annotated[str, typer.Option(help="Title; written by the story step when empty.")] = "",
    image: Annotated[list[Path] | None, typer.Option(help="Reference image (up to 4).")] = None,
    song: Annotated[
        Path | None, typer.Option(help="The song of a music video (its soundtrack and its cuts).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="The source ad an ad clone re-makes: a file or an http(s) URL.")
    ] = None,
    variants: Annotated[
        str, typer.Option(help="Ad clone intensities, comma-separated: soft,medium,aggressive,ultra.")
    ] = "soft,medium,aggressive,ultra",
    transition: Annotated[Transition, typer.Option(help="Transition between scenes.")] = Transition.NONE,
    video_provider: Annotated[
        str | None, typer.Option(help="Video provider chain, e.g. replicate,local.")
    ] = None,
    text_provider: Annotated[str | None, typer.Option(help="Text provider chain.")] = None,
    image_provider: Annotated[str | None, typer.Option(help="Image provider chain.")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Copy the result here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the generation as JSON.")] = False,
    review: Annotated[
        bool, typer.Option("--review", help="Stop after writing and print the storyboard; see `approve`.")
    ] = False,
    narration: Annotated[
        bool | None,
        typer.Option(
            "--narration/--no-narration",
            help="Each scene speaks a line (default: on for story and ad clone).",
            show_default=False,
        ),
    ] = None,
    voice: Annotated[str, typer.Option(help="The narration voice (see `reelsmith voices`).")] = "",
    captions: Annotated[
        CaptionMode | None,
        typer.Option(
            help="Captions of the narration: burn (burned in, plus files), file, off [default: file]."
        ),
    ] = None,
    caption_style: Annotated[str, typer.Option(help="How burned-in captions look: bold, clean.")] = "bold",
    speech_provider: Annotated[
        str | None, typer.Option(help="Speech provider chain, e.g. elevenlabs,local.")
    ] = None,
) -> None:
    """Generate an image, a clip, a story or music video, or an ad clone, and wait with a progress bar."""
    from pydantic import ValidationError

    from reelsmith.generations.fetch import is_url
    from reelsmith.generations.schemas import GenerationCreate, ProviderChoice

    chosen = MODE_CHOICES.get(mode)
    if chosen is None:
        fail(f"--mode: must be one of {', '.join(MODE_CHOICES)}, not {mode!r}")
    if chosen == Mode.AD_CLONE and source is None:
        fail("--source: ad clones need the source ad (--source PATH)")
    if source is not None and chosen != Mode.AD_CLONE:
        fail("--source: only ad clones take a source ad (--mode ad-clone)")
    if source is not None and not is_url(source) and not Path(source).is_file():
        fail(f"--source {source}: no such file")
    if chosen == Mode.MUSIC_VIDEO and song is None:
        fail("--song: music videos need a song (--song PATH)")
    if song is not None and chosen != Mode.MUSIC_VIDEO:
        fail("--song: only music videos take a song (--mode music-video)")
    if song is not None and not song.is_file():
        fail(f"--song {song}: no such file")
    images = list(image or [])
    try:
        request = GenerationCreate(
            mode=chosen,
            prompt=prompt,
            title=title,
            scenes=scenes,
            aspect_ratio=aspect,  # type: ignore[arg-type]  # checked by the request model
            transition=transition,
            variants=[v.strip() for v in variants.split(",") if v.strip()],  # type: ignore[misc]
            providers=ProviderChoice(
                text=text_provider, image=image_provider, video=video_provider, speech=speech_provider
            ),
            review=review,
            narration=narration,
            voice=voice,
            captions=captions,
            caption_style=caption_style,
        )
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "input"
        fail(f"{_option_name(field)}: {first['msg']}")
    if len(images) > 4:
        fail("--image: at most 4 reference images")
    for path in images:
        _check_image(path)
    _run(request, images=images, out_path=out_path, as_json=as_json, song=song, source=source)


def _store_source(rt: Runtime, user_id: str, source: str) -> str:
    """The source ad as the user's upload: a local file, or one fetched from an http(s) URL first."""
    from reelsmith.errors import InvalidInput, UnsupportedMedia
    from reelsmith.generations.fetch import fetch_to_file, is_url
    from reelsmith.generations.uploads import store_upload

    path = Path(source)
    fetched = None
    if is_url(source):
        limit, scratch = rt.settings.max_upload_mb * 1_000_000, rt.settings.scratch_dir
        path = fetched = fetch_to_file(source, scratch, max_bytes=limit, field="--source")
    try:
        return store_upload(rt, user_id, path, expect="video").id
    except UnsupportedMedia as e:
        raise InvalidInput("--source", e.message) from e
    finally:
        if fetched is not None:
            fetched.unlink(missing_ok=True)


def _option_name(field: str) -> str:
    names = {
        "scenes": "--scenes",
        "aspect_ratio": "--aspect",
        "prompt": "prompt",
        "title": "--title",
        "providers.video": "--video-provider",
        "providers.text": "--text-provider",
        "providers.image": "--image-provider",
        "variants": "--variants",
        "review": "--review",
        "narration": "--narration",
        "voice": "--voice",
        "captions": "--captions",
        "caption_style": "--caption-style",
        "providers.speech": "--speech-provider",
    }
    if field.startswith("variants."):
        field = "variants"
    return names.get(field, field)


def _check_image(path: Path) -> None:
    """Fail with one line unless `path` is a PNG, JPEG or WebP image that decodes within the pixel limit."""
    from reelsmith.errors import ReelsmithError
    from reelsmith.generations.upload_types import sniff_image

    if not path.is_file():
        fail(f"--image {path}: no such file")
    try:
        sniff_image(path)
    except ReelsmithError as e:
        fail(f"--image {path}: {e.message}")


def _run(
    request: object,
    *,
    images: list[Path],
    out_path: Path | None,
    as_json: bool,
    song: Path | None = None,
    source: str | None = None,
) -> None:
    from reelsmith.cli.progress import watch
    from reelsmith.errors import InvalidInput, ReelsmithError, UnsupportedMedia
    from reelsmith.generations.reading import get_generation, main_output_key, read_generation
    from reelsmith.generations.schemas import GenerationCreate
    from reelsmith.generations.service import create_generation, ensure_local_user
    from reelsmith.generations.uploads import store_reference_image, store_upload
    from reelsmith.jobs.worker import embedded_worker
    from reelsmith.pipeline.failure import fail_generation

    assert isinstance(request, GenerationCreate)
    rt = open_runtime()
    user_id = ensure_local_user(rt)
    try:
        ids = [store_reference_image(rt, user_id, path) for path in images]
        song_id = store_upload(rt, user_id, song, expect="audio").id if song is not None else None
        source_id = _store_source(rt, user_id, source) if source is not None else None
        request = request.model_copy(
            update={"reference_asset_ids": ids, "song_asset_id": song_id, "source_asset_id": source_id}
        )
        with embedded_worker(rt):
            generation_id = create_generation(rt, user_id, request, bill=False)
            try:
                status = watch(rt, generation_id, err)
            except KeyboardInterrupt:
                with rt.db.write() as session:
                    fail_generation(
                        session, generation_id, "interrupted by the user", status=GenerationStatus.CANCELED
                    )
                fail("interrupted; the generation was canceled", code=130)
    except (InvalidInput, UnsupportedMedia) as e:
        fail(e.message)
    except ReelsmithError as e:
        fail(e.message, code=1)
    with rt.db.read() as session:
        gen = get_generation(session, generation_id)
        data = read_generation(rt, session, gen, with_paths=True)
        output_key = main_output_key(session, gen)
    result_path = data.video_path or data.image_path
    if status == GenerationStatus.COMPLETED and out_path is not None and output_key:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # Through the blob store, so it works when the result lives in a bucket too.
        with rt.blobs.local_path(output_key) as stored:
            shutil.copyfile(stored, out_path)
        out_path.chmod(0o666 & ~_caller_umask[0])
        result_path = str(out_path.resolve())
        data = data.model_copy(update={"output_path": result_path})
    rt.close()
    if as_json:
        out.print_json(data.model_dump_json())
    if status == GenerationStatus.AWAITING_APPROVAL:
        if not as_json:
            _print_storyboard(data)
        return
    if status != GenerationStatus.COMPLETED:
        fail(f"generation {status}: {data.error_message or 'no reason recorded'}", code=1)
    if not as_json:
        err.print(f"[green]done[/] {data.title!r} in {data.generation_time_seconds or 0:.1f} s")
        out.print(str(result_path), highlight=False, soft_wrap=True)


def _print_storyboard(data: GenerationRead) -> None:
    """The scenes awaiting approval, and how to approve them."""
    for variant in data.variants:
        if len(data.variants) > 1:
            out.print(f"[bold]{variant.kind}[/]", highlight=False)
        for scene in variant.scenes:
            text = f" [dim]“{scene.on_screen_text}”[/]" if scene.on_screen_text else ""
            line = f"{scene.index + 1}. ({scene.duration_s:g} s) {scene.description}{text}"
            out.print(line, highlight=False, soft_wrap=True)
    err.print(
        f"[yellow]awaiting approval[/] {data.title!r}: reelsmith approve {data.id}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(data.id, highlight=False)


@app.command()
def approve(generation_id: Annotated[str, typer.Argument(help="The generation made with --review.")]) -> None:
    """Approve a storyboard made with `generate --review`, render it and print the video's path."""
    from reelsmith.cli.progress import watch
    from reelsmith.errors import ReelsmithError
    from reelsmith.generations.reading import get_generation, read_generation
    from reelsmith.generations.service import ensure_local_user
    from reelsmith.generations.storyboard_review import approve as approve_storyboard
    from reelsmith.jobs.worker import embedded_worker

    rt = open_runtime()
    try:
        with embedded_worker(rt):
            approve_storyboard(rt, generation_id, ensure_local_user(rt), bill=False)
            status = watch(rt, generation_id, err)
        with rt.db.read() as session:
            data = read_generation(rt, session, get_generation(session, generation_id), with_paths=True)
    except ReelsmithError as e:
        fail(e.message, code=1)
    finally:
        rt.close()
    if status != GenerationStatus.COMPLETED:
        fail(f"generation {status}: {data.error_message or 'no reason recorded'}", code=1)
    out.print(str(data.video_path), highlight=False, soft_wrap=True)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def stitch(ctx: typer.Context) -> None:
    """Stitch clips into one video (stream copy when they are compatible)."""
    # The `reelsmith` script routes `stitch` straight to this lean command; this entry keeps it listed
    # in --help and working when the Typer app is invoked directly.
    from reelsmith.cli.stitch_cmd import run_stitch

    raise typer.Exit(run_stitch(ctx.args, verbose=logging.getLogger().level <= logging.INFO))


def _register_lazy_commands() -> None:
    from reelsmith.cli.analyze_cmd import analyze_command
    from reelsmith.cli.doctor_cmd import collect_command, doctor_command
    from reelsmith.cli.operate_cmd import (
        db_upgrade_command,
        serve_command,
        user_create_command,
        worker_command,
    )
    from reelsmith.cli.providers_cmd import providers_command
    from reelsmith.cli.voices_cmd import voices_command

    app.command("worker")(worker_command)
    app.command("serve")(serve_command)
    user_app.command("create")(user_create_command)
    db_app.command("upgrade")(db_upgrade_command)
    app.command("providers")(providers_command)
    app.command("voices")(voices_command)
    app.command("analyze")(analyze_command)
    app.command("doctor")(doctor_command)
    app.command("collect")(collect_command)


_register_lazy_commands()


def main() -> None:
    """Entry point of the `reelsmith` script."""
    app()
