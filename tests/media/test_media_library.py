"""The media library through the real app: uploads converted for LINE, bad files refused with the field and
nothing stored, public serving with the right headers, deletion, roles and workspace isolation."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from enishi.models import MediaAsset
from tests.conftest import Env
from tests.plugins.world import PluginWorld, make_world


@pytest.fixture
async def world(env: Env) -> AsyncIterator[PluginWorld]:
    yield await make_world(env, PluginWorld, "media", members={"operator": "operator", "viewer": "viewer"})


def picture(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 80, 40, 128) if mode == "RGBA" else (200, 80, 40)).save(out, fmt)
    return out.getvalue()


def library_files(env: Env) -> list[Path]:
    folder = env.settings.data_dir / "media-library"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def rows(env: Env) -> int:
    async with env.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(MediaAsset)) or 0)


async def upload(world: PluginWorld, name: str, content: bytes, mime: str = "image/jpeg", **more: Any) -> Any:
    files = {"file": (name, content, mime), **more}
    return await world.client.post(world.url(), files=files)


def served_path(url: str, world: PluginWorld) -> str:
    return url.removeprefix(world.env.settings.public_url)


async def test_an_uploaded_photo_is_served_for_line_with_a_small_preview(world: PluginWorld) -> None:
    photo = picture(size=(1600, 1200))
    made = await upload(world, "店内.jpg", photo)
    assert made.status_code == 201, made.text
    asset = made.json()
    assert (asset["kind"], asset["name"], asset["content_type"], asset["width"], asset["height"]) == (
        "image",
        "店内.jpg",
        "image/jpeg",
        1600,
        1200,
    )
    original = await world.client.get(served_path(asset["url"], world))
    assert original.status_code == 200
    assert original.content == photo  # a JPEG LINE takes is kept as it was uploaded
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in original.headers["cache-control"]

    preview = await world.client.get(served_path(asset["preview_url"], world))
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert len(preview.content) <= 1024 * 1024
    assert Image.open(io.BytesIO(preview.content)).size == (240, 180)
    assert asset["view_url"] == served_path(asset["preview_url"], world)

    # Served without signing in: LINE's servers fetch it.
    anonymous = world.env.new_client()
    assert (await anonymous.get(served_path(asset["url"], world))).status_code == 200

    listed = (await world.client.get(world.url())).json()
    assert [m["id"] for m in listed["items"]] == [asset["id"]]


async def test_other_formats_become_png_or_jpeg_and_transparency_is_kept(world: PluginWorld) -> None:
    made = await upload(world, "logo.webp", picture("WEBP", (300, 300), "RGBA"), "image/webp")
    assert made.status_code == 201, made.text
    asset = made.json()
    assert asset["content_type"] == "image/png" and asset["url"].endswith(".png")
    served = await world.client.get(served_path(asset["url"], world))
    assert Image.open(io.BytesIO(served.content)).mode == "RGBA"
    gif = await upload(world, "anim.gif", picture("GIF", (100, 50)), "image/gif")
    assert gif.status_code == 201 and gif.json()["content_type"] in ("image/png", "image/jpeg")


@pytest.mark.parametrize(
    ("name", "content", "mime", "status", "words"),
    [
        ("broken.jpg", picture()[:400], "image/jpeg", 422, "壊れて"),
        ("notes.jpg", b"just some text, renamed to look like a photo\n" * 20, "image/jpeg", 422, "画像"),
        ("empty.png", b"", "image/png", 422, "空"),
    ],
)
async def test_bad_files_are_refused_at_the_field_and_nothing_is_stored(
    world: PluginWorld, name: str, content: bytes, mime: str, status: int, words: str
) -> None:
    refused = await upload(world, name, content, mime)
    assert refused.status_code == status, refused.text
    body = refused.json()
    assert [e["path"] for e in body["errors"]] == ["$.file"]
    assert words in body["errors"][0]["message"]
    assert await rows(world.env) == 0
    assert library_files(world.env) == []


async def test_a_too_large_image_is_refused(world: PluginWorld) -> None:
    # Noise does not compress: a real photo-sized file over LINE's 10 MB.
    big = io.BytesIO()
    Image.frombytes("RGB", (2400, 1600), bytes(range(256)) * (2400 * 1600 * 3 // 256)).save(big, "PNG")
    content = big.getvalue() + b"\0" * max(0, 10 * 1024 * 1024 + 1 - big.tell())
    refused = await upload(world, "huge.png", content, "image/png")
    assert refused.status_code == 413, refused.text
    assert [e["path"] for e in refused.json()["errors"]] == ["$.file"]
    assert "10MB" in refused.json()["errors"][0]["message"]
    assert await rows(world.env) == 0 and library_files(world.env) == []


async def test_missing_part_and_bad_video_preview_name_their_fields(world: PluginWorld) -> None:
    missing = await world.client.post(world.url(), files={"other": ("a.jpg", picture(), "image/jpeg")})
    assert missing.status_code == 422 and [e["path"] for e in missing.json()["errors"]] == ["$.file"]
    video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * 2000
    bad_preview = await upload(world, "clip.mp4", video, "video/mp4", preview=("p.jpg", b"not an image", "image/jpeg"))
    assert bad_preview.status_code == 422
    assert [e["path"] for e in bad_preview.json()["errors"]] == ["$.preview"]
    assert await rows(world.env) == 0 and library_files(world.env) == []


async def test_a_video_gets_the_preview_given_with_it(world: PluginWorld) -> None:
    video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * 2000
    made = await upload(
        world, "clip.mp4", video, "video/mp4", preview=("p.png", picture("PNG", (640, 360)), "image/png")
    )
    assert made.status_code == 201, made.text
    asset = made.json()
    assert (asset["kind"], asset["content_type"], asset["preview_note"]) == ("video", "video/mp4", None)
    served = await world.client.get(served_path(asset["url"], world))
    assert served.headers["content-type"] == "video/mp4" and served.content == video
    preview = await world.client.get(served_path(asset["preview_url"], world))
    assert Image.open(io.BytesIO(preview.content)).size == (240, 135)


async def test_deleting_stops_serving_and_removes_the_files(world: PluginWorld) -> None:
    asset = (await upload(world, "a.png", picture("PNG", (50, 50)), "image/png")).json()
    assert len(library_files(world.env)) == 2
    viewer = await world.as_role("viewer")
    assert (await viewer.delete(world.url(f"/{asset['id']}"))).status_code == 403
    assert (await viewer.get(world.url())).json()["items"][0]["id"] == asset["id"]  # viewers may look
    assert (await world.client.delete(world.url(f"/{asset['id']}"))).status_code == 204
    assert (await world.client.get(served_path(asset["url"], world))).status_code == 404
    assert (await world.client.get(world.url(f"/{asset['id']}"))).status_code == 404
    for _ in range(100):  # the objects go once the deletion has committed, just after the response
        if not library_files(world.env):
            break
        await asyncio.sleep(0.02)
    assert library_files(world.env) == []


async def test_another_workspace_neither_sees_nor_deletes_the_files(world: PluginWorld) -> None:
    asset = (await upload(world, "a.png", picture("PNG", (50, 50)), "image/png")).json()
    other = world.url(workspace_id=world.other_workspace_id)
    assert (await world.client.get(other)).json()["items"] == []
    assert (await world.client.get(f"{other}/{asset['id']}")).status_code == 404
    assert (await world.client.delete(f"{other}/{asset['id']}")).status_code == 404
    assert (await world.client.get(served_path(asset["url"], world))).status_code == 200


async def test_unknown_names_are_not_found(world: PluginWorld) -> None:
    await upload(world, "a.png", picture("PNG", (50, 50)), "image/png")
    for name in ("x" * 32 + ".png", "../secret.key", "a.png", "x" * 32 + ".svg"):
        assert (await world.client.get(f"/media/{name}")).status_code == 404, name


async def test_a_picture_a_friend_sent_is_saved_into_the_library_once(world: PluginWorld) -> None:
    from enishi.line import media as line_media
    from enishi.models import Message

    async with world.env.db.transaction(world.workspace_id) as s:
        sent = Message(friend_id=world.friends["aoi"], direction="in", kind="image", body={"type": "image"})
        s.add(sent)
        await s.flush()
        message_id = sent.id
    url = world.url(f"/from-message/{message_id}")
    not_yet = await world.client.post(url)
    assert not_yet.status_code == 409 and "トークで開いて" in not_yet.json()["message"]

    # The inbox fetched it from LINE when staff opened it.
    path = line_media.content_path(world.env.settings, world.workspace_id, message_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(picture(size=(300, 200)))
    path.with_suffix(".json").write_text('{"content_type": "image/jpeg", "size": 1}')
    saved = await world.client.post(url)
    assert saved.status_code == 201, saved.text
    assert (saved.json()["source"], saved.json()["width"]) == ("inbox", 300)
    again = await world.client.post(url)
    assert again.json()["id"] == saved.json()["id"] and await rows(world.env) == 1
    assert (
        await world.client.post(world.url(f"/from-message/{message_id}", world.other_workspace_id))
    ).status_code == 404
