"""HTTP range requests over a seekable stream: the audio player seeks, and only what it asks for is read.

`ranged_response` answers `Range: bytes=a-b` (also `a-` and `-n`) with 206 and Content-Range, no
Range (or several ranges, or an If-Range for another version) with 200 and the whole body, and an
unsatisfiable range with 416. The body is read from the stream in pieces as the client takes it,
so a recording in object storage is fetched by ranged GETs, never whole per request.
"""

from __future__ import annotations

import io
import mimetypes
import re
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

PIECE = 512 * 1024

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def requested_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte asked for; None for the whole body; False when the range cannot be served."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.replace(" ", ""))
    if not match or not (match[1] or match[2]):
        return None  # several ranges, or a unit other than bytes: the whole body, as RFC 9110 allows
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        first, last = max(0, size - int(match[2])), size - 1
    if first >= size or last < first:
        return False
    return first, last


def _pieces(stream: BinaryIO, first: int, last: int) -> Iterator[bytes]:
    try:
        stream.seek(first)
        left = last - first + 1
        while left > 0:
            data = stream.read(min(PIECE, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        stream.close()


def ranged_response(request: Request, stream: BinaryIO, *, filename: str, etag: str = "") -> Response:
    """The stream (seekable; closed when the response is done) as a 200, 206 or 416 response."""
    size = stream.seek(0, io.SEEK_END)
    quoted = quote(filename)
    disposition = f'inline; filename="{filename}"' if quoted == filename else f"inline; filename*=utf-8''{quoted}"
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": disposition}
    if etag:
        headers["ETag"] = f'"{etag}"'
    media_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    wanted = requested_range(request.headers.get("range"), size)
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range and if_range.strip() != headers.get("ETag"):
        wanted = None  # the client holds another version: send the whole body
    if wanted is False:
        stream.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        first, last, status = 0, size - 1, 200
    else:
        (first, last), status = wanted, 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(max(0, last - first + 1))
    return StreamingResponse(_pieces(stream, first, last), status_code=status, media_type=media_type,
                             headers=headers)
