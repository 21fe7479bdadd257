"""The home redirect, the create page and the generation page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelsmith.api.deps import ReadSession, RuntimeDep
from reelsmith.feed.router import base_url
from reelsmith.web.loaders import generation_page
from reelsmith.web.session import MaybeViewer, SignedIn
from reelsmith.web.templating import render

router = APIRouter()

TYPES: list[dict[str, Any]] = [
    {"mode": "image", "name": "Image", "icon": "image", "price": 1, "per_scene": False, "per_variant": False,
     "blurb": "One picture from your prompt."},
    {"mode": "video", "name": "Video", "icon": "video", "price": 10, "per_scene": False, "per_variant": False,
     "blurb": "A single clip, a few seconds long."},
    {"mode": "story", "name": "Story", "icon": "story", "price": 10, "per_scene": True, "per_variant": False,
     "blurb": "A written story, several scenes, stitched."},
    {"mode": "music_video", "name": "Music video", "icon": "music", "price": 10, "per_scene": True,
     "per_variant": False, "blurb": "Scenes cut to the beat of your song."},
    {"mode": "ad_clone", "name": "Ad clone", "icon": "ad", "price": 40, "per_scene": False,
     "per_variant": True, "blurb": "Your product, re-made from an ad you like."},
]  # fmt: skip
INTENSITIES = [
    {"kind": "soft", "name": "Soft", "blurb": "The source's structure and rhythm, your product."},
    {"kind": "medium", "name": "Medium", "blurb": "Same rhythm, new visuals."},
    {"kind": "aggressive", "name": "Aggressive", "blurb": "Faster cuts, bolder moves and text."},
    {"kind": "ultra", "name": "Ultra", "blurb": "Reimagined; only the promise stays."},
]
ASPECTS = [
    {"value": "16:9", "label": "Landscape", "css": "wide"},
    {"value": "9:16", "label": "Vertical", "css": "tall"},
    {"value": "1:1", "label": "Square", "css": "square"},
]


def _providers(rt: Any, kind: str) -> list[dict[str, str]]:
    """Configured providers of one kind, `local` first, labelled with their model."""
    found = []
    for info in rt.providers.configured():
        if kind in info.kinds and (info.configured or info.name == "local"):
            model = info.models.get(kind, "")
            label = "local — offline templates (no AI)" if info.name == "local" else f"{info.name} · {model}"
            found.append({"name": info.name, "label": label})
    found.sort(key=lambda p: p["name"] != "local")
    return found or [{"name": "local", "label": "local — offline templates (no AI)"}]


@router.get("/")
def home(viewer: MaybeViewer) -> Response:
    """Signed in: straight to creating; otherwise the public feed."""
    return RedirectResponse("/create" if viewer else "/explore", status_code=303)


@router.get("/create")
def create_page(request: Request, viewer: SignedIn, rt: RuntimeDep) -> Response:
    """Pick a type, write a prompt, add references, see the price, generate."""
    context = {
        "types": TYPES,
        "aspects": ASPECTS,
        "intensities": INTENSITIES,
        "video_providers": _providers(rt, "video"),
        "image_providers": _providers(rt, "image"),
    }
    return render(request, "create.html", context, viewer=viewer, nav="create")


@router.get("/g/{generation_id}")
def generation(
    generation_id: str, request: Request, viewer: MaybeViewer, session: ReadSession, rt: RuntimeDep
) -> Response:
    """One generation: live progress, scenes, player, story, publishing and share links."""
    context = generation_page(rt, session, generation_id, viewer, base_url(rt, request))
    return render(request, "generation.html", context, viewer=viewer)
