"""Deleting a tag that a running scenario uses is refused, naming the scenario, unless the user insists."""

from __future__ import annotations

from tests.scenarios.conftest import World, chain, document, node


async def test_a_tag_used_by_a_running_scenario_is_kept_until_the_delete_is_forced(world: World) -> None:
    tags = f"/api/workspaces/{world.workspace_id}/tags"
    vip, spare, other = await world.tag("VIP"), await world.tag("予備"), await world.tag("休眠")
    start = node("core.friend_followed", {"when": "new"})
    add = node("tags.add_tag", {"tag_ids": [vip]})
    running = await world.scenario(document([start, add], chain(start, add)), name="VIPにする")
    # A draft that was never published does not hold the tag: it is checked again when published.
    draft_start = node("core.friend_followed", {"when": "new"})
    draft_add = node("tags.add_tag", {"tag_ids": [spare]})
    await world.scenario(document([draft_start, draft_add], chain(draft_start, draft_add)), publish=False)

    refused = await world.client.delete(f"{tags}/{vip}")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"] == "in_use"
    assert [e["scenario_id"] for e in body["errors"]] == [str(running)]
    assert "VIPにする" in body["errors"][0]["message"]
    assert (await world.client.get(f"{tags}/{vip}")).status_code == 200  # nothing was deleted

    assert (await world.client.delete(f"{tags}/{spare}")).status_code in (200, 204)
    forced = await world.client.delete(f"{tags}/{vip}", params={"force": "true"})
    assert forced.status_code in (200, 204), forced.text
    assert (await world.client.get(f"{tags}/{vip}")).status_code == 404
    # Once stopped, a scenario no longer holds its tags.
    s2, a2 = node("core.friend_followed", {"when": "new"}), node("tags.add_tag", {"tag_ids": [other]})
    stopped = await world.scenario(document([s2, a2], chain(s2, a2)), name="止めた")
    assert (await world.client.post(world.url(f"/{stopped}/stop"), json={"end_running": False})).status_code == 200
    assert (await world.client.delete(f"{tags}/{other}")).status_code in (200, 204)
