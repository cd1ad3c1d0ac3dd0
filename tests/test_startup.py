"""Start-up stays lazy: a command loads only what it uses. Nothing here is timed (bench/startup.py measures);
the tests look at which modules a fresh interpreter has loaded."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
import pytest

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


def loaded_after(code: str, modules: Sequence[str] = HEAVY, env: Mapping[str, str] | None = None) -> list[str]:
    """Which of ``modules`` (the HEAVY ones) a new interpreter has loaded after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps([m for m in {tuple(modules)!r} if m in sys.modules]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300, env=env
    )
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
        assert "enishi_line_emulator.cli" not in sys.modules
        """
    )
    assert listing == []
    from enishi_line_emulator.cli import emulator_command

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
        said = "「https://」で始まるURLを入力してください / Enter a URL starting with https://"
        assert [p.message for p in validate(iri, "not an iri")] == [said]
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


# What `enishi serve` loads only when it has to: alembic when the database is not known to be at head, the LINE SDK
# when LINE is first called, the IRI parser on the first IRI check, the emulator's web app with ENISHI_EMULATOR.
SERVE_LOADS_LATER = (
    "alembic",
    "linebot.v3.messaging",
    "linebot.v3.webhooks",
    "aiohttp",
    "rfc3987_syntax.syntax_helpers",
    "lark",
    "enishi_line_emulator.app",
)

# `enishi serve` up to its first answer, in-process: uvicorn.run gives way to a test client that starts the app
# (its lifespan) and asks /api/health.
SERVE = """
    import uvicorn
    from litestar.testing import TestClient

    def first_answer(app, **kwargs):
        with TestClient(app) as client:
            assert client.get("/api/health").status_code == 200

    uvicorn.run = first_answer
    from enishi.cli import main
    main(["serve", "--port", "8999"], standalone_mode=False)
"""


def test_serve_on_a_database_at_head_loads_neither_alembic_nor_what_it_does_not_use(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENISHI_")}
    env.update({"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_EMULATOR": "0", "ENISHI_LOG_LEVEL": "WARNING"})
    first = loaded_after(SERVE, SERVE_LOADS_LATER, env)
    assert "alembic" in first  # a new database: migrated on the first start
    with sqlite3.connect(tmp_path / "enishi.db") as db:
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
        assert db.execute("SELECT count(*) FROM plans").fetchone()[0] > 0
    assert loaded_after(SERVE, SERVE_LOADS_LATER, env) == []  # already at head: no migration to load
    env["ENISHI_EMULATOR"] = "1"
    assert loaded_after(SERVE, SERVE_LOADS_LATER, env) == ["enishi_line_emulator.app"]


def test_no_password_is_hashed_at_import_and_the_unknown_email_check_costs_a_real_verification() -> None:
    code = """
        from argon2 import PasswordHasher

        def counted(self, *args, **kwargs):
            raise AssertionError("a password was hashed")

        PasswordHasher.hash = counted
        import enishi.auth.passwords, enishi.auth.service, enishi.app
    """
    assert loaded_after(code, ["enishi.auth.passwords"]) == ["enishi.auth.passwords"]
    from argon2 import PasswordHasher, extract_parameters
    from argon2.exceptions import VerifyMismatchError

    from enishi.auth.passwords import _DUMMY_HASH, hash_password, verify_password

    # verifying against the stand-in runs Argon2 with the very parameters of a real hash, and never matches
    assert extract_parameters(_DUMMY_HASH) == extract_parameters(hash_password("correct horse battery"))
    with pytest.raises(VerifyMismatchError):  # computed and compared, not refused as malformed
        PasswordHasher().verify(_DUMMY_HASH, "correct horse battery")
    assert verify_password(None, "correct horse battery") is False
