"""Start-up stays lazy: a command loads only what it uses. Nothing here is timed (bench/startup.py measures);
the tests look at which modules a fresh interpreter has loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import click

import enishi
from enishi.cli import _Commands, main

# Each is a second or a good part of one, and none is needed to print help.
HEAVY = (
    "linebot.v3.messaging",
    "linebot.v3.webhooks",
    "rfc3987_syntax.syntax_helpers",  # the IRI parser (enishi.deferred_imports stands in for its package)
    "lark",
    "jsonschema",
    "litestar",
    "sqlalchemy",
    "alembic",
    "arq",
    "redis",
    "httpx",
    "aiohttp",
    "uvicorn",
    "pydantic",
)


def loaded_after(code: str) -> list[str]:
    """Which HEAVY modules a new interpreter has loaded after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_loads_nothing_heavy() -> None:
    for args in (["--help"], ["serve", "--help"], ["worker", "--help"], ["db", "--help"], ["users", "--help"]):
        code = f"""
            import contextlib, io
            from enishi.cli import main
            with contextlib.redirect_stdout(io.StringIO()):
                main({args!r}, standalone_mode=False)
        """
        assert loaded_after(code) == [], args


def test_importing_the_package_loads_nothing_heavy_until_a_name_is_used() -> None:
    assert loaded_after("import enishi, enishi.cli, enishi.jobs, enishi.settings") == []
    # a name from the package brings in what it needs, and only that
    assert loaded_after("from enishi import Text, hookimpl, JobType") == []
    assert "sqlalchemy" in loaded_after("from enishi import Friend")


def test_every_exported_name_resolves() -> None:
    for name in enishi.__all__:
        assert getattr(enishi, name) is not None, name
    assert set(enishi.__all__) <= set(dir(enishi))
    namespace: dict[str, object] = {}
    exec("from enishi import *", namespace)  # noqa: S102 - the star import plugins may use
    assert set(enishi.__all__) <= set(namespace)


def test_the_emulator_command_is_listed_without_importing_it_and_with_its_own_help() -> None:
    listing = loaded_after(
        """
        import contextlib, io, sys
        from enishi.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["--help"], standalone_mode=False)
        assert "emulator " in out.getvalue() and "Run the LINE emulator" in out.getvalue()
        assert "enishi.line.emulator.cli" not in sys.modules
        """
    )
    assert listing == []
    from enishi.line.emulator.cli import emulator_command

    own_first_paragraph = (emulator_command.help or "").split("\n\n")[0].strip()
    assert _Commands.lazy["emulator"][2] == own_first_paragraph
    ctx = click.Context(main)
    assert main.get_command(ctx, "emulator") is emulator_command


def test_the_iri_parser_loads_on_the_first_iri_check_and_checks_as_before() -> None:
    code = """
        import sys
        from enishi.schema_validation import validate
        assert "rfc3987_syntax.syntax_helpers" not in sys.modules
        assert validate({"format": "uri"}, "not a uri") != []  # other formats do not need it
        assert "rfc3987_syntax.syntax_helpers" not in sys.modules
        iri = {"type": "string", "format": "iri"}
        assert validate(iri, "https://例え.jp/パス?q=縁") == []
        assert [p.message for p in validate(iri, "not an iri")] == ["'not an iri' is not a 'iri'"]
        assert validate({"format": "iri-reference"}, ":::") != []
        assert "rfc3987_syntax.syntax_helpers" in sys.modules
    """
    assert "jsonschema" in loaded_after(code)


def test_the_app_and_every_plugin_load_without_the_line_sdk_until_line_is_called() -> None:
    # The SDK takes about a second to import: a web process pays it on its first call to LINE, not at start-up.
    code = """
        from enishi.app import create_app
        from enishi.plugin_host import discover
        from enishi.settings import load_settings
        import enishi.line.outbox, enishi.delivery.engine, enishi.line.processing
        discover(load_settings({}))
    """
    assert "linebot.v3.messaging" not in loaded_after(code)
    assert "linebot.v3.messaging" in loaded_after("from enishi.line.gateway import gateway_for")
