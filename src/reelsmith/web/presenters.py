"""Shape service data for the templates: labels, counts and the parsed writer conversation."""

from __future__ import annotations

import json
from typing import Any

MODE_LABELS = {
    "story": "Story",
    "video": "Video",
    "image": "Image",
    "music_video": "Music video",
    "ad_clone": "Ad clone",
    "stitch": "Stitch",
}
STATUS_LABELS = {
    "queued": "Queued",
    "processing": "Generating",
    "completed": "Ready",
    "failed": "Failed",
    "canceled": "Canceled",
}
ACTIVE = ("queued", "processing")


def scene_state(scene_status: str, generation_status: str) -> tuple[str, str]:
    """(label, css class) of a scene card."""
    if scene_status == "completed":
        return "Ready", "ok"
    if scene_status == "failed":
        return "Failed", "bad"
    if scene_status == "canceled":
        return "Canceled", "off"
    if generation_status in ACTIVE:
        return "Generating", "busy"
    return "Not rendered", "off"


def _parse(reply: Any) -> dict[str, Any] | None:
    if isinstance(reply, dict):
        return reply
    try:
        value = json.loads(reply) if isinstance(reply, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def generation_view(data: dict[str, Any]) -> dict[str, Any]:
    """Extra fields the generation page needs, computed from the API's generation JSON."""
    variant = data["variants"][0] if data["variants"] else {"scenes": []}
    scenes = []
    counts = {"busy": 0, "ok": 0, "bad": 0, "off": 0}
    for scene in variant["scenes"]:
        label, css = scene_state(scene["status"], data["status"])
        counts[css] += 1
        scenes.append({**scene, "label": label, "css": css})
    story: dict[str, Any] | None = None
    conversation = []
    for turn in data.get("conversation", []):
        parsed = _parse(turn.get("reply"))
        if turn.get("task") in ("story", "transform") and parsed and story is None:
            story = parsed
        conversation.append({**turn, "pretty": json.dumps(parsed, indent=2) if parsed else turn.get("reply")})
    providers = sorted({s["provider"] for s in scenes if s.get("provider")})
    return {
        "variants": _variant_cards(data),
        "source": data.get("source"),
        "scenes": scenes,
        "counts": counts,
        "duration_s": sum(float(s.get("duration_s") or 0) for s in scenes) or None,
        "providers": providers,
        "story": story,
        "conversation": conversation,
        "active": data["status"] in ACTIVE,
        "mode_label": MODE_LABELS.get(data["mode"], data["mode"]),
        "status_label": STATUS_LABELS.get(data["status"], data["status"]),
    }


INTENSITY_LABELS = {"soft": "Soft", "medium": "Medium", "aggressive": "Aggressive", "ultra": "Ultra"}


def _variant_cards(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The variants of an ad clone as cards, with their scores (empty for other modes)."""
    if data["mode"] != "ad_clone":
        return []
    return [
        {
            **v,
            "label": INTENSITY_LABELS.get(v["kind"], v["kind"].title()),
            "best": bool(v["video_url"]) and v["video_url"] == data.get("video_url"),
            "seconds": sum(float(s.get("duration_s") or 0) for s in v["scenes"]),
        }
        for v in data["variants"]
    ]


MODE_ICONS = {"story": "story", "video": "video", "image": "image", "music_video": "music", "ad_clone": "ad"}


def card(gen: Any, media: Any) -> dict[str, Any]:
    """What one gallery card shows."""
    return {
        "id": gen.id,
        "title": gen.title or gen.prompt,
        "prompt": gen.prompt,
        "mode": gen.mode,
        "mode_label": MODE_LABELS.get(gen.mode, gen.mode),
        "icon": MODE_ICONS.get(gen.mode, "film"),
        "status": gen.status,
        "status_label": STATUS_LABELS.get(gen.status, gen.status),
        "progress": gen.progress,
        "current_step": gen.current_step,
        "error_message": gen.error_message,
        "visibility": gen.visibility,
        "created_at": gen.created_at,
        "generation_time_seconds": gen.generation_time_seconds,
        "poster_url": media.poster_url,
        "video_url": media.video_url,
        "duration_s": media.duration_s,
        "active": gen.status in ACTIVE,
    }
