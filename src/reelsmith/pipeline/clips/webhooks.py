"""Provider webhooks: where a provider reports a job's end, and what such a report sets off.

A report is not trusted: it only makes us poll the provider now instead of later, so a forged one
costs one poll. The secret token in the URL names the call and is its only credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from reelsmith.db.models import ProviderCall, Scene
from reelsmith.providers.registry import split_item
from reelsmith.vocabulary import SCENES_AT_PROVIDER

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

# Providers that can call us back when a job ends (when REELSMITH_PUBLIC_URL is set). A call only
# makes us poll sooner (its body is never trusted), so a provider without a signature scheme is safe here.
WEBHOOK_PROVIDERS = ("replicate", "fal", "luma", "gemini")


def wants_webhook(rt: Runtime, provider: str) -> bool:
    """Whether calls to `provider` should ask it to report back (it can, and we are reachable)."""
    # A chain item may name a model (`replicate:owner/name`); the provider is what comes before it.
    return bool(rt.settings.public_url) and split_item(provider)[0] in WEBHOOK_PROVIDERS


def webhook_url(rt: Runtime, call: ProviderCall) -> str:
    """Where the provider reports this call's job ("" when the call has no webhook)."""
    return webhook_url_for(rt, call.provider, call.webhook_token)


def webhook_url_for(rt: Runtime, provider: str, token: str | None) -> str:
    """Where `provider` (a chain item) reports the job of the call with webhook `token` ("" for none)."""
    if not token or not rt.settings.public_url:
        return ""
    return f"{rt.settings.public_url.rstrip('/')}/api/webhooks/{split_item(provider)[0]}/{token}"


def webhook_received(rt: Runtime, provider: str, token: str) -> bool:
    """A provider says a job ended: poll it now. False when the token names no call of `provider`."""
    with rt.db.read() as session:
        call = session.scalars(select(ProviderCall).where(ProviderCall.webhook_token == token)).first()
        if call is None or call.scene_id is None or split_item(call.provider)[0] != provider:
            return False
        scene = session.get(Scene, call.scene_id)
        in_flight = (
            scene is not None
            and scene.status in SCENES_AT_PROVIDER
            and scene.provider_job_id == call.external_id
        )
    if in_flight and call.scene_id:
        rt.dispatch.poll_scene(call.scene_id)
    return True
