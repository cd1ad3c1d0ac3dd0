"""LINE's limits for image and video messages, and the error for a file that cannot become one (no Pillow here:
the routes import this at start-up)."""

from __future__ import annotations

IMAGE_MAX_BYTES = 10 * 1024 * 1024
VIDEO_MAX_BYTES = 200 * 1024 * 1024
PREVIEW_MAX_BYTES = 1024 * 1024
PREVIEW_SIDE = 240
# Pillow refuses to decode more pixels than this (a small file that unpacks to gigabytes).
MAX_PIXELS = 50_000_000
FFMPEG_SECONDS = 30


class MediaRefused(ValueError):
    """The file cannot become LINE media; the message is for the person who chose it (日本語 / English)."""

    def __init__(self, message: str, status: int = 422, field: str = "file") -> None:
        super().__init__(message)
        self.status = status
        self.field = field  # the upload's part it concerns: file or preview
