"""The model catalogue: each provider model's capabilities, input field names, price and lifecycle.

The facts live in `catalogue.toml` beside this module (shipped with the package) and in an
optional user file whose entries add to or replace the shipped ones by (provider, id). Adapters
build request bodies from an entry's field names, the pipeline fits requests to its capabilities,
and generation creation refuses a model past its shutdown date, naming its replacement.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Kind = Literal["text", "image", "video", "speech"]
Stage = Literal["ga", "preview", "deprecated", "retired"]
SHIPPED = Path(__file__).with_name("catalogue.toml")
USER_FILE = "catalogue.toml"  # looked for in the data dir when no catalogue_path is set


class CatalogueError(ValueError):
    """A catalogue file that cannot be read; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DurationRange(_Strict):
    """Whole seconds from `min` to `max` in steps of `step`."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)
    step: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> DurationRange:
        if self.max < self.min:
            raise ValueError(f"max {self.max:g} is below min {self.min:g}")
        return self

    def values(self) -> tuple[float, ...]:
        """Every allowed duration, shortest first."""
        count = round((self.max - self.min) / self.step) + 1
        return tuple(round(self.min + i * self.step, 3) for i in range(count))


class References(_Strict):
    """How many reference images a model takes, and the aspects and durations it takes them at."""

    max: int = Field(default=0, ge=0)
    aspects: tuple[str, ...] = ()  # empty: at any aspect the model allows
    durations: tuple[float, ...] = ()  # empty: at any duration the model allows


class Capabilities(_Strict):
    """What a model can make. Empty lists mean "not restricted" (or not known)."""

    aspects: tuple[str, ...] = ()
    durations: tuple[float, ...] | DurationRange | None = None
    resolutions: tuple[str, ...] = ()
    start_image: bool = False
    end_image: bool = False
    audio: bool = False
    references: References = References()
    # Some providers make clips from a prompt alone on another endpoint than from a first frame, and
    # that endpoint may make fewer frame shapes (Runway's gen4.5: no 1:1 from text). `text_aspects`
    # are the aspects when no image is sent (empty: the same as `aspects`); a model that only
    # animates a first frame has `needs_start_image`.
    text_aspects: tuple[str, ...] = ()
    needs_start_image: bool = False

    def aspects_for(self, with_image: bool | None = None) -> tuple[str, ...]:
        """The aspects allowed with a start image, without one, or (None) with either (empty: any)."""
        if with_image is False and self.text_aspects:
            return self.text_aspects
        return self.aspects

    def allowed_durations(self) -> tuple[float, ...]:
        """The durations the model accepts (empty: any)."""
        if self.durations is None:
            return ()
        if isinstance(self.durations, DurationRange):
            return self.durations.values()
        return tuple(sorted(self.durations))


class Fields(_Strict):
    """Input field names of a request body built from data; "" means the model takes no such input."""

    prompt: str = "prompt"
    start_image: str = ""
    end_image: str = ""
    references: str = ""
    duration: str = "duration"
    # int: 8; string: "8"; seconds_suffix: "8s"
    duration_format: Literal["int", "string", "seconds_suffix"] = "int"
    aspect: str = "aspect_ratio"
    resolution: str = ""
    negative_prompt: str = ""
    seed: str = "seed"


class Price(_Strict):
    """US-dollar prices; a field left at 0 means the model is not billed that way."""

    per_second: float = Field(default=0.0, ge=0)
    per_clip: float = Field(default=0.0, ge=0)
    per_image: float = Field(default=0.0, ge=0)
    per_1m_input: float = Field(default=0.0, ge=0)
    per_1m_output: float = Field(default=0.0, ge=0)
    per_1k_chars: float = Field(default=0.0, ge=0)  # speech, by characters of text spoken
    source: str = "estimate"


class Lifecycle(_Strict):
    """Where a model is in its life: a retired one, or one past its shutdown date, is refused."""

    stage: Stage = "ga"
    shutdown: dt.date | None = None
    replacement: str = ""  # a chain item, "provider:model"

    def is_gone(self, today: dt.date) -> bool:
        """Whether calls to the model no longer work."""
        return self.stage == "retired" or (self.shutdown is not None and self.shutdown <= today)


class ModelEntry(_Strict):
    """One model of one provider."""

    provider: str = Field(min_length=1)
    id: str = Field(min_length=1)
    kind: Kind
    protocol: str = ""
    default: bool = False
    source: str = ""
    checked: dt.date | None = None
    notes: str = ""
    capabilities: Capabilities = Capabilities()
    fields: Fields = Fields()
    price: Price | None = None
    lifecycle: Lifecycle = Lifecycle()

    @property
    def key(self) -> tuple[str, str]:
        """The (provider, id) pair that names the entry."""
        return (self.provider, self.id)

    def status_words(self, today: dt.date) -> str:
        """The stage in words, e.g. "shut down 2026-09-24" or "deprecated, shuts down 2027-01-14"."""
        life = self.lifecycle
        if life.is_gone(today):
            when = f" {life.shutdown.isoformat()}" if life.shutdown else ""
            return ("shut down" if life.shutdown else "retired") + when
        if life.shutdown is not None:
            return f"{life.stage}, shuts down {life.shutdown.isoformat()}"
        return life.stage


def generic_entry(provider: str, model_id: str, kind: Kind) -> ModelEntry:
    """The entry of a model the catalogue does not know: common field names, nothing restricted.

    On Replicate one reference goes as `image` (a first frame) and several as `reference_images`,
    the shape most of its video models share; fal's image-to-video endpoints mostly read `image_url`
    and take the duration as a string.
    """
    if provider == "fal":
        fields = Fields(start_image="image_url", duration_format="string", negative_prompt="negative_prompt")
        caps = Capabilities(start_image=True)
    else:
        fields = Fields(start_image="image", references="reference_images", negative_prompt="negative_prompt")
        caps = Capabilities(start_image=True, references=References(max=3))
    return ModelEntry(
        provider=provider, id=model_id, kind=kind, capabilities=caps, fields=fields, source="not catalogued"
    )


class Catalogue:
    """Entries by (provider, id), the user's replacing the shipped ones."""

    def __init__(self, entries: Iterable[ModelEntry]) -> None:
        self._entries: dict[tuple[str, str], ModelEntry] = {}
        for entry in entries:
            self._entries[entry.key] = entry

    def entries(self) -> list[ModelEntry]:
        """Every entry, in file order (user additions last)."""
        return list(self._entries.values())

    def get(self, provider: str, model_id: str) -> ModelEntry | None:
        """The entry of `provider`'s model `model_id`, if catalogued."""
        return self._entries.get((provider, model_id))

    def entry(self, provider: str, model_id: str, kind: Kind) -> ModelEntry:
        """The catalogued entry, or a generic one for a model the catalogue does not know."""
        return self.get(provider, model_id) or generic_entry(provider, model_id, kind)

    def default(self, provider: str, kind: Kind) -> ModelEntry | None:
        """The entry marked default for `provider` and `kind` (the last one marked, so a user file wins)."""
        marked = [
            e for e in self._entries.values() if e.provider == provider and e.kind == kind and e.default
        ]
        return marked[-1] if marked else None

    def merged(self, other: Catalogue) -> Catalogue:
        """This catalogue with `other`'s entries added or replacing; a default in `other` unmarks ours."""
        overridden = {(e.provider, e.kind) for e in other.entries() if e.default}
        mine = [
            e.model_copy(update={"default": False}) if (e.provider, e.kind) in overridden else e
            for e in self.entries()
        ]
        return Catalogue([*mine, *other.entries()])


def parse(text: str, origin: str) -> Catalogue:
    """Read catalogue TOML; errors name `origin` and the failing entry."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{origin}: not valid TOML: {e}") from e
    unknown = set(raw) - {"model"}
    if unknown:
        raise CatalogueError(
            f"{origin}: unknown top-level keys {sorted(unknown)}; entries go in [[model]] tables"
        )
    tables = raw.get("model", [])
    if not isinstance(tables, list):
        raise CatalogueError(f"{origin}: `model` must be an array of tables ([[model]])")
    return Catalogue(_entry(table, origin, n) for n, table in enumerate(tables, start=1))


def _entry(table: object, origin: str, n: int) -> ModelEntry:
    """One [[model]] table as a ModelEntry; errors say which entry (by number and id) and which field."""
    label = f"entry {n}"
    if isinstance(table, dict) and table.get("id"):
        label += f" ({table.get('provider', '?')}:{table['id']})"
    try:
        return ModelEntry.model_validate(table)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}" for err in e.errors()
        )
        raise CatalogueError(f"{origin}: {label}: {problems}") from e


@functools.cache
def shipped() -> Catalogue:
    """The catalogue shipped with Reelsmith (read once per process)."""
    return parse(SHIPPED.read_text(encoding="utf-8"), str(SHIPPED))


def user_file(data_dir: Path, catalogue_path: Path | None) -> Path | None:
    """The user's catalogue file: the configured path, else `<data_dir>/catalogue.toml` if present."""
    if catalogue_path is not None:
        if not catalogue_path.is_file():
            raise CatalogueError(f"{catalogue_path}: catalogue_path names no file")
        return catalogue_path
    candidate = data_dir / USER_FILE
    return candidate if candidate.is_file() else None


def load(data_dir: Path, catalogue_path: Path | None = None) -> Catalogue:
    """The shipped catalogue with the user's file (if any) laid over it."""
    path = user_file(data_dir, catalogue_path)
    if path is None:
        return shipped()
    return shipped().merged(parse(path.read_text(encoding="utf-8"), str(path)))


def today() -> dt.date:
    """Today's date in UTC, the calendar shutdown dates are given in."""
    return dt.datetime.now(dt.UTC).date()
