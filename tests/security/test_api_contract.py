"""The API keeps its contract: a bounded schemathesis run over every operation of the app's own OpenAPI document,
against the live app (uvicorn on a free port, SQLite) signed in as a workspace owner with a real session. Gate: no
server error (5xx) and no answer off the documented statuses, content types and schemas.

Bounded so the file stays within a few minutes on two cores: EXAMPLES per operation and generation mode (derandomized,
so a run is repeatable). Every operation is reached: no clock decides what is checked, so a loaded machine is slower,
never greener or redder. The fuzz runs on SQLite only: it is about the contract, which does
not depend on the backend, and PostgreSQL would double the time (the matrices run on both)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD, Env
from tests.live_server import serve
from tests.security.api_matrix import seed

EXAMPLES = 6  # per operation and generation mode
# Not fuzzed, each a real false positive:
SKIP = {
    # An endless event stream: a request never ends, and the document has no schema for its events.
    ("GET", "/api/workspaces/{workspace_id}/inbox/stream"),
    # Ends the very session the run is signed in with (every later case would only see 401).
    ("POST", "/api/auth/logout"),
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_fuzzed_requests_get_documented_answers_and_no_server_error(env: Env, record_property: Any) -> None:
    owner, member = await env.user("owner@c.example"), await env.user("member@c.example")
    ws = await env.workspace(await env.agency("C"), "C", members={owner: "owner", member: "viewer"})
    client = await env.login("owner@c.example")
    seeded = await seed(env, client, ws.id, "c")
    assert not seeded.missing, seeded.missing
    # The staff routes get the viewer's membership: the owner removing or demoting itself would end the run.
    staff = (await client.get(f"/api/workspaces/{ws.id}/staff")).json()
    seeded.ids["membership_id"] = next(s["id"] for s in staff if s["role"] == "viewer")
    schema = schemathesis.openapi.from_dict(env.app.openapi_schema.to_schema())
    async with serve(env.app) as base_url:
        # The run blocks on its requests; uvicorn answers them in this event loop meanwhile.
        report = await asyncio.to_thread(_fuzz, schema, base_url, seeded.ids)
    summary = (
        f"contract: {report['operations']} operations ({report['skipped']} skipped), {report['cases']} cases, "
        f"statuses {dict(sorted(report['statuses'].items()))}, 5xx {len(report['server_errors'])}, "
        f"off-schema {len(report['off_schema'])}"
    )
    print(summary)
    record_property("summary", summary)  # in the junit report
    details = "\n".join(report["server_errors"][:20] + report["off_schema"][:40])
    assert not report["server_errors"] and not report["off_schema"], summary + "\n" + details
    assert report["statuses"].get(200, 0) + report["statuses"].get(201, 0) > 0, summary  # it was signed in


def _fuzz(schema: Any, base_url: str, ids: dict[str, Any]) -> dict[str, Any]:
    session = requests.Session()
    signed_in = session.post(f"{base_url}/api/auth/login", json={"email": "owner@c.example", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    session.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    report: dict[str, Any] = {
        "operations": 0,
        "skipped": 0,
        "cases": 0,
        "statuses": Counter(),
        "server_errors": [],
        "off_schema": [],
    }
    turn: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        report["operations"] += 1
        if key in SKIP:
            report["skipped"] += 1
            continue
        label = " ".join(key)
        check = _checker(label, base_url, session, ids, report, turn)

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,
            )(given(case=operation.as_strategy(mode))(check))
            try:
                run()
            except Exception as exc:  # a strategy that cannot generate this mode (no parameters to break)
                if "Unsatisfiable" not in type(exc).__name__ and "negative" not in str(exc).lower():
                    raise
    return report


def _checker(
    label: str,
    base_url: str,
    session: requests.Session,
    ids: dict[str, Any],
    report: dict[str, Any],
    turn: Counter[str],
) -> Callable[[Any], None]:
    def check(case: Any) -> None:
        # The signed-in workspace, and every other case a record it has (the rest: ids that do not exist).
        if "workspace_id" in case.path_parameters:
            case.path_parameters["workspace_id"] = ids["workspace_id"]
        turn[label] += 1
        if turn[label] % 2:
            for name in case.path_parameters:
                if name in ids and not (name == "key" and "/reports/" in label):
                    case.path_parameters[name] = ids[name]
        response = case.call(base_url=base_url, session=session, timeout=30)
        report["cases"] += 1
        report["statuses"][response.status_code] += 1
        if response.status_code >= 500:
            report["server_errors"].append(f"{label} → {response.status_code}: {case.as_curl_command()}")
        try:
            case.validate_response(
                response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
            )
        except FailureGroup as exc:  # the failed checks and the case
            first = str(exc).strip().splitlines()
            report["off_schema"].append(f"{label} → {response.status_code}: {' / '.join(first[:6])}")

    return check
