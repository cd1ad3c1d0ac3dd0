"""The audit log's words: every action a route records, and every action the log holds, has a label in Japanese and
English (never its raw key), and the people in the log come with their names; only for those who may read it."""

from __future__ import annotations

import re

from enishi.models import User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.conftest import PASSWORD, Env

RAW = re.compile(r"[a-z]+[._][a-z_]+")  # an action key or handler name, e.g. "core.update_friend"


async def test_every_action_has_words_and_people_have_names(env: Env) -> None:
    owner = await env.user("owner@audit.example", name="店長")
    agency = await env.agency(owner=owner)
    workspace = await env.workspace(agency, "縁カフェ", members={owner: "owner"}, plan="pro")
    other = await env.workspace(agency, "別の店", plan="pro")
    client = await env.login("owner@audit.example")
    base = f"/api/workspaces/{workspace.id}"
    assert (await client.post(f"{base}/tags", json={"name": "VIP"})).status_code == 201
    assert (await client.patch(f"{base}/", json={"name": "縁カフェ 本店"})).status_code == 200

    response = await client.get(f"{base}/audit/labels")
    assert response.status_code == 200, response.text
    labels = {a["action"]: a["label"] for a in response.json()["actions"]}
    assert labels["tags.create_tag"]["ja"] == "タグ管理: 作成"
    assert labels["core.update_friend"]["ja"] == "友だち: 変更"
    assert labels["core.update_workspace"]["ja"] == "ワークスペース設定: 変更"
    for action, label in labels.items():
        assert label["ja"] and label["en"], action
        assert not RAW.search(label["ja"]), (action, label)
        assert not label["ja"].startswith("その他"), (action, label)  # every route's area is known
    logged = (await client.get(f"{base}/audit")).json()["items"]
    assert {e["action"] for e in logged} <= set(labels)
    assert response.json()["people"] == [{"user_id": owner.id, "display_name": "店長", "email": "owner@audit.example"}]

    # An operator may not read the log; another workspace's log does not exist for its staff.
    hanako = await env.user("hanako@audit.example", name="花子")
    async with env.db.transaction() as s:
        ws = await s.get_one(Workspace, workspace.id)
        await add_member(s, ws, await s.get_one(User, hanako.id), "operator")
    operator = await env.login("hanako@audit.example", PASSWORD)
    assert (await operator.get(f"{base}/audit/labels")).status_code == 403
    assert (await operator.get(f"/api/workspaces/{other.id}/audit/labels")).status_code == 404
