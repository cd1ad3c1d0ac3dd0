"""The console's API types are generated from the server's OpenAPI document, and both are committed
(builder_ui/src/openapi/: openapi.json and schema.d.ts), so the console's type check needs no Python.

These tests keep them true: a route, a parameter or a struct changed without regenerating fails here; once
regenerated, `npm run typecheck` fails wherever the console reads a shape that changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from enishi.cli import builtin_app, openapi_json

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "builder_ui"
DOCUMENT = UI / "src" / "openapi" / "openapi.json"
TYPES = UI / "src" / "openapi" / "schema.d.ts"
GENERATOR = UI / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
REGENERATE = (
    "run `cd builder_ui && npm run api-types` (Enishi's venv at .venv or `enishi` on the PATH) and commit "
    "builder_ui/src/openapi/openapi.json and schema.d.ts; then `npm run typecheck` shows what the change breaks"
)


def changed(committed: dict[str, Any], served: dict[str, Any]) -> list[str]:
    """The paths and component schemas that differ, for the failure message."""
    out = []
    for section, old, new in (
        ("path", committed.get("paths", {}), served.get("paths", {})),
        ("schema", committed.get("components", {}).get("schemas", {}), served.get("components", {}).get("schemas", {})),
    ):
        out += [f"{section} {name}: new" for name in sorted(new.keys() - old.keys())]
        out += [f"{section} {name}: gone" for name in sorted(old.keys() - new.keys())]
        out += [f"{section} {name}: changed" for name in sorted(old.keys() & new.keys()) if old[name] != new[name]]
    rest = {k for k in committed.keys() | served.keys() if committed.get(k) != served.get(k)} - {"paths", "components"}
    return out + [f"{key}: changed" for key in sorted(rest)]


async def test_the_committed_document_is_what_the_server_answers(tmp_path: Path) -> None:
    app = builtin_app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enishi.test") as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    served = response.json()
    committed = DOCUMENT.read_text(encoding="utf-8")
    if committed != openapi_json(served):
        differences = changed(json.loads(committed), served) or ["(formatting only)"]
        shown = "\n  ".join(differences[:30]) + ("\n  …" if len(differences) > 30 else "")
        raise AssertionError(
            f"{DOCUMENT.relative_to(ROOT)} is not the document the server answers:\n  {shown}\n{REGENERATE}"
        )


def test_the_committed_types_are_generated_from_the_committed_document(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not GENERATOR.exists():
        pytest.skip("needs Node.js and builder_ui/node_modules (npm ci) to generate the types")
    generated = tmp_path / "schema.d.ts"
    subprocess.run([node, str(GENERATOR), str(DOCUMENT), "--output", str(generated)], check=True, capture_output=True)
    assert generated.read_text(encoding="utf-8") == TYPES.read_text(encoding="utf-8"), (
        f"{TYPES.relative_to(ROOT)} is not generated from openapi.json beside it: {REGENERATE}"
    )
