"""Page routers of the web studio."""

from __future__ import annotations

from fastapi import APIRouter

from reelsmith.web.routes import auth_pages, compare, gallery, public, settings_page, studio

router = APIRouter(include_in_schema=False)
for _module in (auth_pages, settings_page, studio, gallery, public, compare):
    router.include_router(_module.router)
