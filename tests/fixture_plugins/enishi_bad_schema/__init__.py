"""A plugin that registers an action whose config schema is not valid JSON Schema."""

from enishi import ActionType, PluginManifest, Register, Text, hookimpl

manifest = PluginManifest(title=Text("壊れた", "Broken"), description=Text("説明", "Description"))


async def run(ctx, friend_id, config):  # type: ignore[no-untyped-def]
    return None


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(
        ActionType(
            name="oops",
            label=Text("壊れた", "Broken"),
            config_schema={"type": "object", "properties": {"n": {"type": "integr"}}},
            run=run,
        )
    )
