"""The `enishi` command: migrations, plugins, workspaces, users, and clear messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from enishi.cli import main


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, **env: str) -> Result:
        return runner.invoke(
            main, list(args), env={"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_LOG_LEVEL": "WARNING", **env}
        )

    return invoke


def test_db_upgrade_current_and_downgrade(run) -> None:  # type: ignore[no-untyped-def]
    assert "upgrade pending" in run("db", "current").output
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in run("db", "current").output
    down = run("db", "downgrade", "base")
    assert down.exit_code == 0 and "at: base" in down.output
    assert "upgrade pending" in run("db", "current").output


def test_commands_refuse_an_unmigrated_database(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "workspaces",
        "create",
        "--name",
        "店",
        "--channel-id",
        "1234567890",
        "--channel-secret",
        "a" * 32,
        "--access-token",
        "x" * 40,
    )
    assert result.exit_code != 0 and "enishi db upgrade" in result.output


def test_workspaces_create_prints_id_and_webhook_url(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    args = [
        "workspaces",
        "create",
        "--name",
        "縁カフェ",
        "--channel-id",
        "1234567890",
        "--channel-secret",
        "a" * 32,
        "--access-token",
        "x" * 40,
        "--plan",
        "standard",
        "--json",
    ]
    result = run(*args, ENISHI_PUBLIC_URL="https://crm.example.jp")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["plan"] == "standard" and created["webhook_url"].startswith("https://crm.example.jp/webhook/")
    assert len(created["webhook_url"].rsplit("/", 1)[1]) >= 32  # unguessable

    again = run(*args)
    assert again.exit_code != 0 and "--channel-id: channel 1234567890 is already connected" in again.output
    bad = run(
        "workspaces", "create", "--name", "x", "--channel-id", "12", "--channel-secret", "nothex", "--access-token", "t"
    )
    assert bad.exit_code != 0
    assert "--channel-id" in bad.output and "--channel-secret" in bad.output and "--access-token" in bad.output
    no_plan = run(*args[:-3], "--plan", "gold")
    assert "--plan: no plan 'gold' (plans: start, standard, pro)" in no_plan.output


def test_users_create_and_plugins_list(run) -> None:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    ws = json.loads(
        run(
            "workspaces",
            "create",
            "--name",
            "店",
            "--channel-id",
            "1234567890",
            "--channel-secret",
            "a" * 32,
            "--access-token",
            "x" * 40,
            "--plan",
            "pro",
            "--json",
        ).output
    )
    made = run(
        "users",
        "create",
        "--email",
        "Owner@Shop.example",
        "--name",
        "店長",
        "--password",
        "long-enough-pw",
        "--workspace",
        str(ws["id"]),
        "--role",
        "owner",
    )
    assert made.exit_code == 0, made.output
    dup = run("users", "create", "--email", "owner@shop.example", "--name", "x", "--password", "long-enough-pw")
    assert "--email: a user with owner@shop.example exists" in dup.output
    short = run("users", "create", "--email", "b@shop.example", "--name", "x", "--password", "short")
    assert short.exit_code != 0 and "--password" in short.output
    missing = run(
        "users",
        "create",
        "--email",
        "c@shop.example",
        "--name",
        "x",
        "--password",
        "long-enough-pw",
        "--workspace",
        "999",
    )
    assert "--workspace: no workspace 999" in missing.output

    listed = json.loads(run("plugins", "list", "--json").output)
    by_name = {p["name"]: p for p in listed}
    # The built-in plugins, which also leaves out a third-party plugin installed beside Enishi.
    built_in = [p for p in by_name.values() if p["source"] == "built-in"]
    assert built_in
    for plugin in built_in:
        assert plugin["status"] == "loaded"
        assert plugin["enabled_in"] == [ws["id"]]
        assert set(plugin) >= {"name", "version", "source", "tier", "enabled_in"}


def test_bad_settings_fail_with_the_variable_named(run) -> None:  # type: ignore[no-untyped-def]
    result = run("db", "current", ENISHI_DATABASE_URL="mysql://nope")
    assert result.exit_code != 0 and "ENISHI_DATABASE_URL" in result.output
    assert "enishi worker needs ENISHI_REDIS_URL" in run("worker").output
    key = run("secret-key").output.strip()
    assert len(key) == 44
