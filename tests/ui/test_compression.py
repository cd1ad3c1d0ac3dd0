"""The UI's static files go out gzipped to a client that accepts it (and as they are to one that does not), with
``Vary: Accept-Encoding``; the API answers as before and the inbox's event stream still streams."""

from __future__ import annotations

import gzip
from pathlib import Path

import enishi_probe
import httpx
import pytest
from litestar import Litestar

from enishi.app import COMPRESS_FROM_BYTES, accepts_gzip, ui_handlers, ui_module_handlers
from enishi.plugin_host import PluginHost, discover
from enishi.registry import ui_module_digest
from enishi.testing import settings_for
from tests.conftest import PROBE, Env
from tests.line.test_inbox import live
from tests.line.test_inbox_stream import opened, shop

__all__ = ["live"]

SCRIPT = ("export const words = [" + ", ".join(f'"word {n}"' for n in range(400)) + "];\n").encode()


def built(dist: Path) -> Path:
    (dist / "assets").mkdir(parents=True)
    (dist / "shared").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Enishi</title>", encoding="utf-8")
    (dist / "assets" / "index-abc123.js").write_bytes(SCRIPT)
    (dist / "shared" / "react.js").write_bytes(SCRIPT)
    (dist / "assets" / "tiny-abc123.js").write_bytes(b"export default 1;\n")
    return dist


def probe_with_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PluginHost, str]:
    """The probe plugin, its UI module a script worth compressing; and the module's URL."""
    module = tmp_path / "probe.js"
    module.write_bytes(SCRIPT)
    monkeypatch.setattr(enishi_probe, "UI_MODULE", module)
    return discover(settings_for(tmp_path), extra=[PROBE]), f"/ui/plugins/probe/{ui_module_digest(module)}.js"


def client(app: Litestar, accept: str) -> httpx.AsyncClient:
    # httpx decodes gzip for us: .content is what the file holds, the raw stream what went over the wire.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar types ASGI more narrowly
    return httpx.AsyncClient(transport=transport, base_url="http://ui.test", headers={"Accept-Encoding": accept})


async def raw(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, bytes]:
    async with http.stream("GET", path) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_assets_shared_shims_and_plugin_modules_are_gzipped_for_a_client_that_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = built(tmp_path / "dist")
    host, module_url = probe_with_module(tmp_path, monkeypatch)
    app = Litestar(route_handlers=[*ui_module_handlers(host, dist), *ui_handlers(dist)])
    assert len(SCRIPT) >= COMPRESS_FROM_BYTES
    async with client(app, "gzip, deflate, br") as http:
        for path in ("/assets/index-abc123.js", "/ui/shared/react.js", module_url):
            response, wire = await raw(http, path)
            assert response.status_code == 200, path
            assert response.headers["content-encoding"] == "gzip", path
            assert response.headers["vary"] == "Accept-Encoding", path
            assert len(wire) < len(SCRIPT) / 3 and gzip.decompress(wire) == SCRIPT, path
        _, wire_again = await raw(http, "/assets/index-abc123.js")
        assert wire_again == wire  # the same bytes, from the cache
        # Small files are sent as they are: compressing them saves nothing.
        tiny, _ = await raw(http, "/assets/tiny-abc123.js")
        assert "content-encoding" not in tiny.headers

    async with client(app, "identity") as http:
        response, wire = await raw(http, "/assets/index-abc123.js")
        assert "content-encoding" not in response.headers and wire == SCRIPT
        assert response.headers["vary"] == "Accept-Encoding"
        # HEAD too, as before (the server leaves the body out).
        head = await http.head("/assets/index-abc123.js")
        assert head.status_code == 200 and head.headers["content-length"] == str(len(SCRIPT))


async def test_a_rebuilt_file_is_compressed_anew(tmp_path: Path) -> None:
    dist = built(tmp_path / "dist")
    app = Litestar(route_handlers=ui_module_handlers(discover(settings_for(tmp_path)), dist))
    async with client(app, "gzip") as http:
        _, before = await raw(http, "/ui/shared/react.js")
        (dist / "shared" / "react.js").write_bytes(SCRIPT + b"// rebuilt\n")
        _, after = await raw(http, "/ui/shared/react.js")
        assert gzip.decompress(before) == SCRIPT and gzip.decompress(after) == SCRIPT + b"// rebuilt\n"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("*", True),
        ("x-gzip", True),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("*;q=0.5, gzip;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


async def test_the_api_answers_and_the_inbox_stream_streams_to_a_client_that_accepts_gzip(live: Env) -> None:
    workspace, emulator, staff, base = await shop(live)
    staff.headers["Accept-Encoding"] = "gzip, deflate"
    conversations = await staff.get(f"{base}/conversations")
    assert conversations.status_code == 200 and conversations.json()["items"] == []
    channel = workspace.line_channel_id
    hanako = emulator.add_user(channel, "花子")
    async with opened(staff, f"{base}/stream") as events:
        assert "content-encoding" not in events.response.headers  # each event goes out as it happens
        await events.next("ready")
        # An event while the stream is open arrives on it: nothing holds it back to compress a bigger piece.
        await emulator.follow(channel, hanako.user_id)
        await emulator.send_text(channel, hanako.user_id, "こんにちは")
        news = await events.next("conversations")
        assert news["data"]["updates"]
