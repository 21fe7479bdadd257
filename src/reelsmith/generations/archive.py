"""A generation to take away: one ZIP of its videos, clips, posters, captions, JSON and writer conversation.

The ZIP is written as it is sent. Every row it needs is read first, in one short read; then each blob
is copied into the archive a chunk at a time and each chunk handed on as soon as it is written, so a
download holds one chunk in memory (never a whole video) and no database connection while it runs.
Media go in stored (they are compressed already); the text files are deflated.

The writer conversation can also be exported alone, as JSON or as Markdown to read.
"""

from __future__ import annotations

import json
import mimetypes
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelsmith.db.models import Asset, Scene, Variant
from reelsmith.generations.read_models import ConversationTurn, GenerationRead
from reelsmith.generations.reading import get_generation, read_generation
from reelsmith.pipeline.main_variant import kind_rank

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

CHUNK = 1 << 20  # bytes copied (and held) at a time
ConversationFormat = Literal["json", "md"]


@dataclass(frozen=True)
class Member:
    """A stored blob and the name it takes in the archive."""

    name: str
    storage_key: str
    size: int
    at: datetime


@dataclass(frozen=True)
class Archive:
    """What goes into a generation's ZIP: small documents made now, and blobs copied as they stream."""

    filename: str
    documents: tuple[tuple[str, bytes], ...]
    members: tuple[Member, ...]
    at: datetime


@dataclass(frozen=True)
class Export:
    """A file to download: its bytes, media type and name."""

    body: bytes
    media_type: str
    filename: str


def _slug(text: str) -> str:
    """A file-name-safe version of a title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:40].strip("-") or "reelsmith"


def _extension(asset: Asset) -> str:
    """The asset's file extension, from its media type (or its key when the type says nothing)."""
    return mimetypes.guess_extension(asset.content_type) or PurePosixPath(asset.storage_key).suffix or ".bin"


def _member(asset: Asset, stem: str) -> Member:
    return Member(f"{stem}{_extension(asset)}", asset.storage_key, asset.bytes, asset.created_at)


def _variant_members(
    session: Session, generation_id: str, assets: dict[str, Asset]
) -> Iterator[tuple[str, Member]]:
    """(asset id, member) for each variant's final video, poster and captions (those of the version that
    plays) and each scene's clip, poster and spoken line."""
    variants = sorted(
        session.scalars(select(Variant).where(Variant.generation_id == generation_id)),
        key=lambda v: kind_rank(v.kind),
    )
    for variant in variants:
        finals = (
            (variant.video_asset_id, "video"),
            (variant.thumbnail_asset_id, "poster"),
            (variant.captions_srt_asset_id, "captions"),
            (variant.captions_vtt_asset_id, "captions"),
        )
        for asset_id, role in finals:
            if asset_id in assets:
                yield asset_id, _member(assets[asset_id], f"final/{variant.kind}-{role}")
        scenes = session.scalars(select(Scene).where(Scene.variant_id == variant.id).order_by(Scene.index))
        for scene in scenes:
            stem = f"scenes/{variant.kind}/scene-{scene.index + 1:02d}"
            roles = (
                (scene.clip_asset_id, "clip"),
                (scene.thumbnail_asset_id, "poster"),
                (scene.speech_asset_id, "speech"),
            )
            for asset_id, role in roles:
                if asset_id in assets:
                    yield asset_id, _member(assets[asset_id], f"{stem}-{role}")


def _members(session: Session, generation_id: str, image_asset_id: str | None) -> tuple[Member, ...]:
    """Every blob of the archive: finals with their captions, scene clips, posters and lines, the picture."""
    rows = session.scalars(select(Asset).where(Asset.generation_id == generation_id))
    assets = {a.id: a for a in rows}
    taken = dict(_variant_members(session, generation_id, assets))
    if image_asset_id in assets and image_asset_id not in taken:
        taken[image_asset_id] = _member(assets[image_asset_id], "final/image")
    return tuple(taken.values())


def conversation_json(turns: Sequence[ConversationTurn]) -> bytes:
    """The conversation as a JSON list of turns, as the generation JSON has them."""
    data = [t.model_dump(mode="json") for t in turns]
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def _fenced(text: str, language: str = "") -> str:
    """`text` in a code fence longer than any run of backticks inside it, so it cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _reply_block(reply: object) -> str:
    if isinstance(reply, str):
        return _fenced(reply)
    return _fenced(json.dumps(reply, indent=2, ensure_ascii=False), "json")


def conversation_markdown(title: str, turns: Sequence[ConversationTurn]) -> str:
    """The conversation as Markdown: one section per exchange with its prompt and the model's reply."""
    lines = [f"# Writer conversation: {title}", ""]
    if not turns:
        lines += ["No exchanges with the writer were recorded.", ""]
    for n, turn in enumerate(turns, start=1):
        who = " · ".join(p for p in (turn.task, turn.provider, turn.model) if p)
        lines += [f"## {n}. {who or 'exchange'}", "", f"*{turn.at.isoformat()}*", ""]
        if turn.system:
            lines += ["### System", "", _fenced(turn.system), ""]
        if turn.user:
            lines += ["### Prompt", "", _fenced(turn.user), ""]
        if turn.reply is not None:
            lines += ["### Reply", "", _reply_block(turn.reply), ""]
        if turn.error:
            lines += ["### Error", "", _fenced(turn.error), ""]
    return "\n".join(lines)


def _title(data: GenerationRead) -> str:
    return data.title or data.prompt[:60]


def export_conversation(rt: Runtime, generation_id: str, fmt: ConversationFormat) -> Export:
    """The generation's writer conversation as a JSON or Markdown file."""
    with rt.db.read() as session:
        data = read_generation(rt, session, get_generation(session, generation_id))
    stem = f"{_slug(_title(data))}-conversation"
    if fmt == "md":
        body = conversation_markdown(_title(data), data.conversation).encode()
        return Export(body, "text/markdown; charset=utf-8", f"{stem}.md")
    return Export(conversation_json(data.conversation), "application/json", f"{stem}.json")


def plan_archive(rt: Runtime, generation_id: str) -> Archive:
    """Everything the generation's ZIP holds, read in one go (the blobs are only named here)."""
    with rt.db.read() as session:
        gen = get_generation(session, generation_id)
        data = read_generation(rt, session, gen)
        members = _members(session, gen.id, gen.state.image_asset_id)
        at = gen.completed_at or gen.updated_at
    documents = (
        ("generation.json", json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False).encode()),
        ("conversation.json", conversation_json(data.conversation)),
        ("conversation.md", conversation_markdown(_title(data), data.conversation).encode()),
    )
    filename = f"{_slug(_title(data))}-{data.id[:8]}.zip"
    return Archive(filename, documents, members, at)


class _Pipe:
    """A write-only file for `zipfile` whose writes the response drains after each chunk.

    It has no `tell`, so `zipfile` treats it as unseekable and writes each entry's sizes after its
    data instead of going back to patch its header: nothing already sent is ever changed.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        """Keep a written piece until it is drained."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: pieces wait for `drain`."""

    def close(self) -> None:
        """Nothing to close: the response owns what was drained."""

    def drain(self) -> bytes:
        """Hand over everything written since the last drain."""
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _info(name: str, at: datetime, size: int, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=at.timetuple()[:6])
    info.compress_type = compress_type
    info.file_size = size  # lets zipfile pick ZIP64 up front for blobs over 4 GiB
    return info


def zip_chunks(rt: Runtime, archive: Archive) -> Iterator[bytes]:
    """The archive's bytes, a chunk at a time, each blob read from the store as it is written."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", allowZip64=True) as zf:
        for name, body in archive.documents:
            zf.writestr(_info(name, archive.at, len(body), zipfile.ZIP_DEFLATED), body)
            yield from _drained(pipe)
        for member in archive.members:
            info = _info(member.name, member.at, member.size, zipfile.ZIP_STORED)
            with rt.blobs.open(member.storage_key) as source, zf.open(info, "w") as dest:
                while chunk := source.read(CHUNK):
                    dest.write(chunk)
                    yield from _drained(pipe)
            yield from _drained(pipe)
    yield from _drained(pipe)  # the central directory, written on close


def _drained(pipe: _Pipe) -> Iterator[bytes]:
    """What the pipe holds, if anything (an empty chunk would be sent as one)."""
    data = pipe.drain()
    if data:
        yield data
