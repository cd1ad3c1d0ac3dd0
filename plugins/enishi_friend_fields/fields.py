"""The workspace's fields as typed friend data: on the profile, in friend lists, as message variables.

Message variables write ``{{field.<key>}}`` and read values through ``load``; ``column`` gives a friend list a
sort expression for any field (an order-preserving text of the value, so numbers sort as numbers and dates as
dates) without knowing its type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_friend_fields import kinds, service
from enishi_friend_fields.models import FieldDefinition, FieldValue
from enishi_friend_fields.nodes import field_id_of


def descriptor(field: FieldDefinition) -> FriendFieldDescriptor:
    return FriendFieldDescriptor(
        key=field.key,
        label=Text(field.label, field.label_en or field.label),
        value_schema=kinds.value_schema(field),
        sortable=field.type in kinds.SORTABLE,
    )


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    """One descriptor per field definition, in display order."""
    return [descriptor(f) for f in await service.definitions(ctx)]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """Values of a page of friends for the asked keys, in one query; empty values are left out."""
    if not keys:
        return {}
    return await service.values_of(ctx, friend_ids, keys)


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """A scalar subquery per friend row (NULL when empty or when the field does not exist)."""
    return (
        select(FieldValue.value_sort)
        .where(FieldValue.friend_id == Friend.id, FieldValue.field_id == field_id_of(ctx, key))
        .correlate(Friend)
        .scalar_subquery()
        .label(f"friend_fields_{key}")
    )


fields_source = FriendFieldSource(
    name="fields",
    label=Text("友だち情報欄", "Friend fields"),
    describe=describe,
    load=load,
    column=column,
)
