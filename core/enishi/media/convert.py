"""Uploaded files made into what LINE accepts, with Pillow (images) and ffmpeg when installed (video posters).

LINE's image and video messages take an original and a preview image: images JPEG or PNG of at most 10 MB,
previews JPEG or PNG of at most 1 MB, videos MP4 of at most 200 MB. The type is read from the content, never
from the name or the browser's word: a renamed text file or a broken JPEG is refused here, before anything is
stored. Other image formats (WebP, GIF, BMP, HEIF where Pillow reads it) are converted to PNG or JPEG.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from enishi.media.limits import (
    FFMPEG_SECONDS,
    IMAGE_MAX_BYTES,
    MAX_PIXELS,
    PREVIEW_MAX_BYTES,
    PREVIEW_SIDE,
    VIDEO_MAX_BYTES,
    MediaRefused,
)


@dataclass(frozen=True, slots=True)
class Converted:
    kind: str  # image | video
    content: bytes
    content_type: str  # image/jpeg, image/png, video/mp4
    extension: str
    preview: bytes
    preview_type: str
    width: int | None
    height: int | None
    # Why the preview is a plain poster rather than a frame of the video (e.g. ffmpeg is not installed).
    preview_note: str | None = None


def convert(content: bytes, preview: bytes | None = None) -> Converted:
    """The file as LINE media (raises :class:`MediaRefused` for anything else). Runs Pillow: call it in a thread."""
    if not content:
        raise MediaRefused("空のファイルです / the file is empty")
    if is_mp4(content):
        return convert_video(content, preview)
    return convert_image(content)


def is_mp4(content: bytes) -> bool:
    # An ISO media file starts with its "ftyp" box; MP4 and QuickTime brands are what LINE plays.
    return len(content) >= 12 and content[4:8] == b"ftyp"


def _open(content: bytes) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(content))
        image.load()  # decodes everything: a truncated or corrupt file fails here, not later
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise MediaRefused(
            "画像(JPEG・PNG など)か MP4 動画を選んでください / choose an image (JPEG, PNG, …) or an MP4 video"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise MediaRefused("画像が壊れているため読み込めません / the image is damaged and cannot be read") from None
    return image


def convert_image(content: bytes) -> Converted:
    if len(content) > IMAGE_MAX_BYTES:
        raise MediaRefused(
            f"画像は {IMAGE_MAX_BYTES // 1024 // 1024}MB までです / images are limited to {IMAGE_MAX_BYTES} bytes", 413
        )
    image = _open(content)
    if image.format in ("JPEG", "PNG") and not getattr(image, "is_animated", False):
        # Kept as uploaded (LINE takes it as it is); only its orientation is looked at for the preview.
        data, content_type = content, f"image/{image.format.lower()}"
    else:
        data, content_type = _encode(ImageOps.exif_transpose(image), IMAGE_MAX_BYTES)
    upright = ImageOps.exif_transpose(image)
    preview, preview_type = make_preview(upright)
    return Converted(
        kind="image",
        content=data,
        content_type=content_type,
        extension=_extension(content_type),
        preview=preview,
        preview_type=preview_type,
        width=upright.width,
        height=upright.height,
    )


def make_preview(image: Image.Image) -> tuple[bytes, str]:
    """A small copy for the talk list: at most 240×240 and 1 MB, PNG when it has transparency, else JPEG."""
    small = image.copy()
    small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return _encode(small, PREVIEW_MAX_BYTES)


def _encode(image: Image.Image, limit: int) -> tuple[bytes, str]:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        out = io.BytesIO()
        image.convert("RGBA").save(out, "PNG", optimize=True)
        if out.tell() <= limit:
            return out.getvalue(), "image/png"
        image = image.convert("RGBA")  # too big as PNG: JPEG on white below
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    rgb = image.convert("RGB")
    for quality in (90, 80, 70, 55, 40):
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= limit:
            return out.getvalue(), "image/jpeg"
    raise MediaRefused("画像を LINE の上限まで小さくできません / the image cannot be made small enough for LINE", 413)


def convert_video(content: bytes, preview: bytes | None) -> Converted:
    if len(content) > VIDEO_MAX_BYTES:
        raise MediaRefused(
            f"動画は {VIDEO_MAX_BYTES // 1024 // 1024}MB までです / videos are limited to {VIDEO_MAX_BYTES} bytes", 413
        )
    note = None
    if preview is not None:
        try:
            poster = _open(preview)
        except MediaRefused as exc:
            raise MediaRefused(f"プレビュー画像: {exc}", exc.status, "preview") from None
    else:
        frame = video_frame(content)
        if frame is not None:
            poster = _open(frame)
        else:
            note = (
                "ffmpeg がないため動画の一場面をプレビューにできませんでした。"
                "プレビュー画像を添えてアップロードできます"
                " / ffmpeg is not installed, so the preview is a plain poster; upload a preview image with the video"
            )
            poster = Image.new("RGB", (PREVIEW_SIDE, PREVIEW_SIDE), (48, 48, 48))
    data, preview_type = make_preview(ImageOps.exif_transpose(poster))
    return Converted(
        kind="video",
        content=content,
        content_type="video/mp4",
        extension="mp4",
        preview=data,
        preview_type=preview_type,
        width=None,
        height=None,
        preview_note=note,
    )


def video_frame(content: bytes) -> bytes | None:
    """A frame from the first second of the video as PNG, or None without ffmpeg (or when it cannot read it)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "video.mp4"
        source.write_bytes(content)
        try:
            done = subprocess.run(  # noqa: S603 (a fixed command line; the input is a file we wrote)
                [ffmpeg, "-nostdin", "-v", "error", "-ss", "0.5", "-i", str(source), "-frames:v", "1",
                 "-f", "image2pipe", "-vcodec", "png", "-"],
                capture_output=True,
                timeout=FFMPEG_SECONDS,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None
    return done.stdout if done.returncode == 0 and done.stdout else None


async def convert_in_thread(content: bytes, preview: bytes | None = None) -> Converted:
    return await asyncio.to_thread(convert, content, preview)


def _extension(content_type: str) -> str:
    return {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4"}[content_type]
