"""IDOR matrix, generated from the OpenAPI document: every operation that names a workspace or a record, called by the
owner of another workspace — with that workspace's ids, or with its own workspace and the other's record ids —
answers 404 or 403 and changes no row; every operation but the listed public ones answers 401 without a session.
A new route is in the matrix as soon as it is in the document."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import schemathesis
from hypothesis.errors import NonInteractiveExampleWarning

from tests.conftest import Env
from tests.security.api_matrix import Operation, Seeded, body_for, changes, dump, operations, seed

REFUSED = (403, 404)
INVALID = (400, 422)  # refused on its body before any lookup: retried with generated valid bodies


def _examples(schema: Any, op: Operation, count: int = 3) -> list[Any]:
    """A few bodies the document calls valid, for a write the empty object does not reach the lookup with."""
    try:
        operation = schema[op.path][op.method]
    except KeyError:
        return []
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        for _ in range(count):
            case = operation.as_strategy().example()
            if case.body is not None and not isinstance(case.body, bytes | str):
                out.append(case.body)
    return out


async def _call(client: httpx.AsyncClient, op: Operation, url: str, body: Any) -> httpx.Response:
    return await client.request(op.method, url, json=body) if body is not None else await client.request(op.method, url)


async def test_another_workspaces_owner_and_no_session_get_nothing(env: Env, record_property: Any) -> None:
    alice, bob = await env.user("alice@a.example"), await env.user("bob@b.example")
    ws_a = await env.workspace(await env.agency("A", owner=None), "A", members={alice: "owner"})
    ws_b = await env.workspace(await env.agency("B", owner=bob), "B", members={bob: "owner"})
    alice_client, bob_client = await env.login("alice@a.example"), await env.login("bob@b.example")
    a = await seed(env, alice_client, ws_a.id, "a")
    b = await seed(env, bob_client, ws_b.id, "b")
    # Each kind a route names is seeded in both, else a 404 would prove nothing.
    assert not b.missing and not a.missing, (a.missing, b.missing)
    ops = operations(env.app)
    schema = schemathesis.openapi.from_dict(env.app.openapi_schema.to_schema())
    anonymous = env.new_client()

    holes: list[str] = []
    inconclusive: list[str] = []
    calls = {"unauthenticated": 0, "other_workspace": 0, "other_records": 0}

    async def attempt(kind: str, client: httpx.AsyncClient, op: Operation, url: str, allowed: tuple[int, ...]) -> None:
        before = await dump(env)
        bodies = [body_for(op)]
        response = await _call(client, op, url, bodies[0])
        if response.status_code in INVALID and op.method != "GET":
            for body in _examples(schema, op):
                response = await _call(client, op, url, body)
                if response.status_code not in INVALID:
                    break
        calls[kind] += 1
        changed = list(changes(before, await dump(env)))
        if response.status_code in INVALID:
            inconclusive.append(f"{kind}: {op.label} → {response.status_code}")
        elif response.status_code not in allowed:
            holes.append(f"{kind}: {op.label} ({url}) → {response.status_code} {response.text[:160]}")
        if changed:
            holes.append(f"{kind}: {op.label} ({url}) changed rows: {changed}")

    for op in ops:
        if not op.is_public:
            await attempt("unauthenticated", anonymous, op, b.url(op), (401,))
        if not op.params:
            continue
        # Alice with Bob's workspace and Bob's records.
        await attempt("other_workspace", alice_client, op, b.url(op), REFUSED)
        # Alice in her own workspace, with Bob's records (ids are global; the scope must hold).
        records = [p for p in op.params if p != "workspace_id" and a.value(op, p) != b.value(op, p)]
        if "workspace_id" in op.params and records:
            mixed = Seeded(a.workspace_id, alice_client, {**b.ids, "workspace_id": a.workspace_id})
            await attempt("other_records", alice_client, op, mixed.url(op), REFUSED)

    total = sum(calls.values())
    summary = (
        f"IDOR matrix: {len(ops)} operations, calls {calls} (= {total}); refused on the body before any lookup "
        f"(still nothing changed): {len(inconclusive)} {inconclusive}; holes: {len(holes)}"
    )
    print(summary)
    record_property("summary", summary)  # in the junit report
    assert not holes, summary + "\n" + "\n".join(holes)
    assert all(calls.values()), calls
    # Bob's workspace still answers Bob (the refusals were not the app being broken), and a change Bob makes shows
    # in the dump (the comparison sees changes).
    tag = f"/api/workspaces/{ws_b.id}/tags/{b.ids['tag_id']}"
    assert (await bob_client.get(tag)).status_code == 200
    before = await dump(env)
    assert (await bob_client.patch(tag, json={"name": "renamed"})).status_code == 200
    assert list(changes(before, await dump(env)))
