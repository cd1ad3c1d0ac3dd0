"""Response headers that keep what the app serves from acting in the console's origin.

Every response gets a Content-Security-Policy (scripts from this origin only, no framing), ``nosniff`` and a
same-origin referrer policy, unless the handler set its own (the member card page, media). Content that friends
send (any bytes, any claimed type) goes out as an attachment in a sandbox, inline only for a few raster image,
video and audio types a browser cannot run.
"""

from __future__ import annotations

from typing import Literal

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# 'unsafe-inline' styles: the console's components and the small server-made pages set style attributes.
# 'unsafe-eval': the console's JSON Schema forms (ajv) compile each schema into a function; scripts still load
# from this origin only and inline scripts never run.
CONSOLE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https:",
        "media-src 'self' blob: https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API docs page (/schema) is Litestar's, with its inline script and a CDN bundle: it only may not be framed.
DOCS_CSP = "frame-ancestors 'none'"
SANDBOX_CSP = "sandbox; default-src 'none'"

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

# Types a browser shows but never runs: served inline so the console can show them; anything else downloads.
INLINE_MEDIA_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "audio/m4a",
        "audio/x-m4a",
        "audio/mp4",
        "audio/aac",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
    }
)


def media_type_of(content_type: str | None) -> str:
    """The bare, lower-case media type (``image/png`` of ``Image/PNG; foo=bar``)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


Disposition = Literal["inline", "attachment"]


def untrusted_content(content_type: str | None) -> tuple[str, Disposition, dict[str, str]]:
    """How to serve bytes someone else chose: (media type, content disposition type, headers)."""
    media_type = media_type_of(content_type)
    if "/" not in media_type or any(c.isspace() or c in "\"'\\<>" for c in media_type):
        media_type = "application/octet-stream"
    disposition: Disposition = "inline" if media_type in INLINE_MEDIA_TYPES else "attachment"
    headers = {"Content-Security-Policy": SANDBOX_CSP, "X-Content-Type-Options": "nosniff"}
    return media_type, disposition, headers


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the headers on every response, keeping any the handler chose itself."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path = scope.get("path", "")
    csp = DOCS_CSP if path == "/schema" or path.startswith("/schema/") else CONSOLE_CSP
    if headers.get("Content-Security-Policy") is None:
        headers["Content-Security-Policy"] = csp
    for name, value in BASE_HEADERS.items():
        if headers.get(name) is None:
            headers[name] = value
