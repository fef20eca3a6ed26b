"""HTTP range requests over a seekable stream: the audio player seeks, and only what it asks for is read.

`ranged_response` answers `Range: bytes=a-b` (also `a-` and `-n`) with 206 and Content-Range, no
Range (or an invalid one such as `bytes=5-3`, several ranges, or an If-Range for another version)
with 200 and the whole body, as RFC 9110 allows, and an unsatisfiable range (starting past the end,
`bytes=-0`) with 416. HEAD gets the same status and headers without a body. The body is read from
the stream in pieces as the client takes it, so a recording in object storage is fetched by ranged
GETs, never whole per request; the stream is closed when the response ends, also when the client
went away before its body started.
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
from starlette.types import Receive, Scope, Send

PIECE = 512 * 1024

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def requested_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte asked for; None for the whole body; False when the range cannot be served (416).

    Several ranges get the whole body (200), not a multipart answer: a player asks for one range, and
    the whole body is a correct answer to any range request (RFC 9110).
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.replace(" ", ""))
    if not match or not (match[1] or match[2]):
        return None  # several ranges, a unit other than bytes, or not a range at all: the whole body
    if match[1]:
        first = int(match[1])
        if match[2] and int(match[2]) < first:
            return None  # bytes=5-3 is invalid, not unsatisfiable: ignored (RFC 9110 14.2)
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        suffix = int(match[2])
        if suffix == 0:
            return False  # bytes=-0: no byte can be sent
        first, last = max(0, size - suffix), size - 1
    if first >= size:
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


class _ClosingStreamingResponse(StreamingResponse):
    """A streaming response that closes its stream however the response ends: sent, failed, or the client
    gone before the body started (when the body's generator never runs its own `finally`)."""

    def __init__(self, stream: BinaryIO, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.stream.close()


def ranged_response(request: Request, stream: BinaryIO, *, filename: str, etag: str = "") -> Response:
    """The stream (seekable; closed when the response is done) as a 200, 206 or 416 response (HEAD: no body)."""
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
    if request.method == "HEAD":
        stream.close()
        return Response(status_code=status, media_type=media_type, headers=headers)
    return _ClosingStreamingResponse(stream, _pieces(stream, first, last), status_code=status,
                                     media_type=media_type, headers=headers)
