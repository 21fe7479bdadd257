"""Stream a stored asset with HTTP Range support, so players can seek."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi.responses import Response, StreamingResponse

from reelsmith.db.models import Asset

if TYPE_CHECKING:
    from reelsmith.runtime import Runtime

CHUNK = 1 << 20
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _span(header: str | None, total: int) -> tuple[int, int] | bool | None:
    """(start, end) for a satisfiable range, None without a header, False when unsatisfiable."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if not match or not (match.group(1) or match.group(2)):
        return False
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    else:
        start, end = max(0, total - int(last)), total - 1
    return (start, end) if start < total and start <= end else False


def stream_asset(rt: Runtime, asset: Asset, range_header: str | None, *, head: bool = False) -> Response:
    """The asset's bytes (200, or 206 for one `Range`), cacheable by the browser only."""
    total = asset.bytes
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=300",
        "ETag": f'"{asset.sha256[:32]}"',
    }
    span = _span(range_header, total)
    if span is False:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
    start, end, status = 0, total - 1, 200
    if isinstance(span, tuple):
        (start, end), status = span, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    headers["Content-Length"] = str(end - start + 1)
    if head:
        return Response(status_code=status, headers=headers, media_type=asset.content_type)
    return StreamingResponse(
        _chunks(rt, asset.storage_key, start, end),
        status_code=status,
        headers=headers,
        media_type=asset.content_type,
    )


def _chunks(rt: Runtime, key: str, start: int, end: int) -> Iterator[bytes]:
    with rt.blobs.open(key) as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = f.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
