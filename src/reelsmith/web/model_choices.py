"""The models the Create page offers: each configured provider's usable catalogue models.

A model past its shutdown date (or retired) is not offered at all, since a generation on it would be
refused; one whose shutdown is near is offered with its date in the label, so nobody builds a habit on
it. The provider's default model comes first and is chosen by the provider's plain name; the others by
`provider:model`, the chain item the API takes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from reelsmith.providers.catalogue import today

if TYPE_CHECKING:
    from reelsmith.providers.catalogue import Kind, ModelEntry
    from reelsmith.runtime import Runtime

# A model shutting down within this many days is labelled with its date.
RETIRING_SOON_DAYS = 60
LOCAL_LABEL = "local — offline templates (no AI)"


def _label(entry: ModelEntry, on: dt.date) -> str:
    """`provider · model`, with the shutdown date when it is near."""
    label = f"{entry.provider} · {entry.id}"
    shutdown = entry.lifecycle.shutdown
    if shutdown is not None and (shutdown - on).days <= RETIRING_SOON_DAYS:
        label += f" — retiring {shutdown.isoformat()}"
    return label


def model_choices(rt: Runtime, kind: Kind, on: dt.date | None = None) -> list[dict[str, str]]:
    """Options (`name` = the chain item, `label`) for one kind: `local` first, then each configured
    provider's usable models, its default first."""
    on = on or today()
    catalogue = rt.providers.catalogue
    found = [{"name": "local", "label": LOCAL_LABEL}]
    for info in rt.providers.configured():
        if kind not in info.kinds or not info.configured or info.name == "local":
            continue
        default = info.models.get(kind, "")
        usable = [
            e
            for e in catalogue.entries()
            if e.provider == info.name and e.kind == kind and not e.lifecycle.is_gone(on)
        ]
        usable.sort(key=lambda e: (e.id != default, e.id))
        if default and catalogue.get(info.name, default) is None:
            # A default from a setting that the catalogue does not list: offered as it is named.
            found.append({"name": info.name, "label": f"{info.name} · {default}"})
        for entry in usable:
            name = info.name if entry.id == default else f"{info.name}:{entry.id}"
            found.append({"name": name, "label": _label(entry, on)})
    return found
