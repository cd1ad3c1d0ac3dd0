"""Request and response bodies. msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path); handlers check what needs the definitions or the database (→ 422 / 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from enishi_friend_fields import kinds, service
from enishi_friend_fields.models import FieldDefinition

MAX_FIELDS = 300  # per workspace
MAX_BULK_FRIENDS = 10_000  # a page of search results at a time; whole segments go through the set_field action
MAX_VALUES = MAX_FIELDS

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Key = Annotated[str, msgspec.Meta(pattern=kinds.KEY_PATTERN, description="a-z, 0-9, _ (starts with a letter)")]
# Some visible character, no NUL (PostgreSQL cannot store it).
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^(?=[\s\S]*\S)[^\x00]*$")]
LabelEn = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[^\x00]*$")]
Option = Annotated[str, msgspec.Meta(min_length=1, max_length=kinds.OPTION_MAX, pattern=r"^(?=.*\S)[^\x00-\x1f\x7f]*$")]
Options = Annotated[list[Option], msgspec.Meta(max_length=kinds.OPTIONS_MAX)]
Accept = Annotated[
    list[Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9.+-]*/(\*|[a-z0-9][a-z0-9.+-]*)$")]],
    msgspec.Meta(max_length=20),
]
Group = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^(?=.*\S)[^\x00-\x1f\x7f]*$")]
Description = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")]
SortOrder = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
FieldType = Literal[
    "text",
    "number",
    "date",
    "datetime",
    "select",
    "multi_select",
    "email",
    "phone",
    "postal_address",
    "url",
    "file",
]
Values = Annotated[dict[str, Any], msgspec.Meta(min_length=1, max_length=MAX_VALUES)]


class FieldIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    label: Label
    type: FieldType
    label_en: LabelEn = ""
    options: Options = msgspec.field(default_factory=list)
    accept: Accept = msgspec.field(default_factory=list)
    required: bool = False
    sort_order: SortOrder = 0
    group: Group | None = None
    description: Description = ""


class FieldPatch(msgspec.Struct, forbid_unknown_fields=True):
    # Accepted only to say clearly that it cannot change (a client echoing the field back is fine).
    key: str | msgspec.UnsetType = msgspec.UNSET
    label: Label | msgspec.UnsetType = msgspec.UNSET
    label_en: LabelEn | msgspec.UnsetType = msgspec.UNSET
    type: FieldType | msgspec.UnsetType = msgspec.UNSET
    options: Options | msgspec.UnsetType = msgspec.UNSET
    # {"old name": "new name"}: renames a choice inside every friend's value; the new name must be in options.
    rename_options: Annotated[dict[Option, Option], msgspec.Meta(max_length=kinds.OPTIONS_MAX)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    accept: Accept | msgspec.UnsetType = msgspec.UNSET
    required: bool | msgspec.UnsetType = msgspec.UNSET
    sort_order: SortOrder | msgspec.UnsetType = msgspec.UNSET
    group: Group | msgspec.UnsetType | None = msgspec.UNSET  # null takes the field out of its group
    description: Description | msgspec.UnsetType = msgspec.UNSET


class FieldOut(msgspec.Struct):
    id: int
    key: str
    label: str
    label_en: str
    type: str
    options: list[str]
    accept: list[str]
    required: bool
    sort_order: int
    group: str | None
    description: str
    value_schema: dict[str, Any]  # what a value must look like (JSON Schema), for forms
    value_count: int  # friends with a value
    created_at: datetime
    updated_at: datetime


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    field_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_FIELDS)]


class ValuesIn(msgspec.Struct, forbid_unknown_fields=True):
    # {key: value}; null (or "", [], {}) clears the field.
    values: Values


class ValueMeta(msgspec.Struct):
    updated_at: datetime
    updated_by_user_id: int | None
    source: str


class FriendValuesOut(msgspec.Struct):
    friend_id: int
    values: dict[str, Any]
    updated: dict[str, ValueMeta]
    changed: list[str] = msgspec.field(default_factory=list)  # keys whose value this request changed


class ClearOut(msgspec.Struct):
    friend_id: int
    key: str
    changed: bool  # false when the field was empty already


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    friend_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK_FRIENDS)]
    values: Values


class BulkOut(msgspec.Struct):
    changed: dict[str, int]  # per key: friends whose value changed (those who had it already are not counted)
    events_emitted: bool  # false when more than EVENT_LIMIT values of a field changed: no field_changed events


class FileOut(msgspec.Struct):
    friend_id: int
    key: str
    value: dict[str, Any]
    changed: bool


def field_out(field: FieldDefinition, value_count: int) -> FieldOut:
    return FieldOut(
        id=field.id,
        key=field.key,
        label=field.label,
        label_en=field.label_en,
        type=field.type,
        options=list(field.options or []),
        accept=list(field.accept or []),
        required=field.required,
        sort_order=field.sort_order,
        group=field.group,
        description=field.description,
        value_schema=kinds.value_schema(field),
        value_count=value_count,
        created_at=field.created_at,
        updated_at=field.updated_at,
    )


def friend_values_out(
    friend_id: int, rows: list[service.ValueRow], changed: list[str] | None = None
) -> FriendValuesOut:
    return FriendValuesOut(
        friend_id=friend_id,
        values={r.key: r.value for r in rows},
        updated={r.key: ValueMeta(r.updated_at, r.updated_by_user_id, r.source) for r in rows},
        changed=changed or [],
    )
