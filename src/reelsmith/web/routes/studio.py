"""The home redirect, the create page and the generation page."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelsmith.feed.scheduling import scheduled_at
from reelsmith.generations.schemas import CAPTION_STYLES
from reelsmith.server.deps import ReadSession, RuntimeDep, base_url
from reelsmith.vocabulary import INTENSITY_LABELS, MODE_LABELS, PRICES, Intensity, Mode
from reelsmith.web.loaders import generation_page
from reelsmith.web.model_choices import model_choices
from reelsmith.web.presenters import MODE_ICONS
from reelsmith.web.session import MaybeViewer, SignedIn
from reelsmith.web.templating import render

router = APIRouter()


@dataclass(frozen=True)
class TypeCard:
    """A mode as the create page offers it: its name and price from the vocabulary, its icon and blurb."""

    mode: str
    name: str
    icon: str
    blurb: str
    price: int
    per: str


# What each mode is, in a line, on the create page (names and prices come from the vocabulary).
BLURBS: dict[str, str] = {
    Mode.IMAGE: "One picture from your prompt.",
    Mode.VIDEO: "A single clip, a few seconds long.",
    Mode.STORY: "A written story, several scenes, stitched.",
    Mode.MUSIC_VIDEO: "Scenes cut to the beat of your song.",
    Mode.AD_CLONE: "Your product, re-made from an ad you like.",
}
TYPE_ORDER = (Mode.IMAGE, Mode.VIDEO, Mode.STORY, Mode.MUSIC_VIDEO, Mode.AD_CLONE)
TYPES = [
    TypeCard(m.value, MODE_LABELS[m], MODE_ICONS[m], BLURBS[m], PRICES[m].tokens, PRICES[m].per)
    for m in TYPE_ORDER
]
INTENSITY_BLURBS: dict[str, str] = {
    Intensity.SOFT: "The source's structure and rhythm, your product.",
    Intensity.MEDIUM: "Same rhythm, new visuals.",
    Intensity.AGGRESSIVE: "Faster cuts, bolder moves and text.",
    Intensity.ULTRA: "Reimagined; only the promise stays.",
}
INTENSITIES = [
    {"kind": i.value, "name": INTENSITY_LABELS[i], "blurb": INTENSITY_BLURBS[i]} for i in Intensity
]
ASPECTS = [
    {"value": "16:9", "label": "Landscape", "css": "wide"},
    {"value": "9:16", "label": "Vertical", "css": "tall"},
    {"value": "1:1", "label": "Square", "css": "square"},
]


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
        "video_providers": model_choices(rt, "video"),
        "caption_styles": CAPTION_STYLES,
        "image_providers": model_choices(rt, "image"),
    }
    return render(request, "create.html", context, viewer=viewer, nav="create")


@router.get("/g/{generation_id}")
def generation(
    generation_id: str, request: Request, viewer: MaybeViewer, session: ReadSession, rt: RuntimeDep
) -> Response:
    """One generation: live progress, scenes, player, story, publishing and share links."""
    context = generation_page(rt, session, generation_id, viewer, base_url(rt, request))
    context["published_at"] = scheduled_at(session, generation_id)  # shown while a publish is scheduled
    return render(request, "generation.html", context, viewer=viewer)
