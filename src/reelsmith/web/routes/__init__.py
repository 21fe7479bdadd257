"""Page routers of the web studio."""

from __future__ import annotations

from fastapi import APIRouter

from reelsmith.web.routes import account, gallery, public, studio

router = APIRouter(include_in_schema=False)
for _module in (account, studio, gallery, public):
    router.include_router(_module.router)
