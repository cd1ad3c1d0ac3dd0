"""Workspace API under ``/api/workspaces/{workspace_id}/friend_fields``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. A record of another workspace is simply not found: 404.

    GET    /fields?group=                      the field definitions, with how many friends have a value
    POST   /fields                             GET/PATCH/DELETE /fields/{field_id}   (?force=true: see below)
    PUT    /fields/order                       reorder the profile
    GET    /friends/{friend_id}                a friend's values
    PATCH  /friends/{friend_id}                set or clear many fields at once (all or nothing)
    DELETE /friends/{friend_id}/{key}          clear one field
    PUT    /friends/{friend_id}/files/{key}    upload a file into a file field (multipart, part "file")
    GET    /friends/{friend_id}/files/{key}    download it
    POST   /bulk                               set or clear fields on a list of friends at once
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from sqlalchemy import case, select, update

from enishi import (
    ApiError,
    Ctx,
    Friend,
    SchemaProblem,
    WorkspaceContext,
    add_details,
    already_taken,
    flush_or_conflict,
    get_or_404,
    invalid,
    missing_ids,
    not_found,
    unknown_ids,
    utcnow,
)
from enishi_friend_fields import kinds, service
from enishi_friend_fields.kinds import CHOICE_TYPES, FILE, Stored
from enishi_friend_fields.models import FieldDefinition, FieldFile, FieldValue
from enishi_friend_fields.permissions import EDIT, MANAGE
from enishi_friend_fields.schemas import (
    MAX_FIELDS,
    BulkIn,
    BulkOut,
    ClearOut,
    FieldIn,
    FieldOut,
    FieldPatch,
    FileOut,
    FriendValuesOut,
    OrderIn,
    ValuesIn,
    field_out,
    friend_values_out,
)

AnyRequest = Request[Any, Any, Any]
MAX_LISTED_PROBLEMS = 100
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
HARD_MAX_FILE_BYTES = 20 * 1024 * 1024  # the ceiling of the workspace setting max_file_bytes
UPLOAD_BODY_LIMIT = HARD_MAX_FILE_BYTES + 64 * 1024  # the file plus the multipart framing
Force = Annotated[bool, QueryParameter(description="also change or delete the friends' values that depend on it")]


class FieldController(Controller):
    path = "/fields"

    @get("/")
    async def list_fields(
        self,
        ctx: Ctx,
        group: Annotated[str | None, QueryParameter(max_length=50, description="only this group")] = None,
    ) -> list[FieldOut]:
        return await listed_fields(ctx, group)

    @post("/", permission=MANAGE, status_code=201)
    async def create_field(self, request: AnyRequest, ctx: Ctx, data: JSONBody[FieldIn]) -> FieldOut:
        options = [o.strip() for o in data.options]
        problems = _definition_problems(data.type, options, data.accept)
        if problems:
            raise invalid(problems)
        if await service.key_taken(ctx, data.key):
            raise key_conflict()
        if await service.field_count(ctx) >= MAX_FIELDS:
            raise ApiError(409, "too_many_fields", f"項目は{MAX_FIELDS}個までです / at most {MAX_FIELDS} fields")
        field = FieldDefinition(
            key=data.key,
            label=data.label.strip(),
            label_en=data.label_en.strip(),
            type=data.type,
            options=options,
            accept=list(data.accept),
            required=data.required,
            sort_order=data.sort_order,
            group=data.group.strip() if data.group else None,
            description=data.description,
        )
        ctx.session.add(field)
        await flush_or_conflict(ctx, key_conflict())
        add_details(request, key=field.key, type=field.type)
        return field_out(field, 0)

    @put("/order", permission=MANAGE)
    async def reorder_fields(self, request: AnyRequest, ctx: Ctx, data: JSONBody[OrderIn]) -> list[FieldOut]:
        """The listed fields take positions 0, 1, 2 … in that order; fields not listed keep theirs."""
        ids = data.field_ids
        if len(set(ids)) != len(ids):
            raise invalid([{"path": "$.field_ids", "message": "同じ項目が複数あります / duplicate ids"}])
        known = {f.id for f in await service.definitions(ctx)}
        missing = [
            {"path": f"$.field_ids[{i}]", "message": "見つかりません / not found"}
            for i, f in enumerate(ids)
            if f not in known
        ]
        if missing:
            raise invalid(missing[:MAX_LISTED_PROBLEMS])
        position = case({field_id: n for n, field_id in enumerate(ids)}, value=FieldDefinition.id)
        await ctx.session.execute(
            update(FieldDefinition)
            .where(FieldDefinition.id.in_(ids))
            .values(sort_order=position)
            .execution_options(synchronize_session=False)
        )
        ctx.session.expire_all()
        add_details(request, field_ids=ids)
        return await listed_fields(ctx)

    @get("/{field_id:int}")
    async def show_field(self, ctx: Ctx, field_id: FromPath[int]) -> FieldOut:
        field = await get_or_404(ctx, FieldDefinition, field_id, "field")
        return field_out(field, (await service.value_counts(ctx, [field.id])).get(field.id, 0))

    @patch("/{field_id:int}", permission=MANAGE)
    async def update_field(
        self, request: AnyRequest, ctx: Ctx, field_id: FromPath[int], data: JSONBody[FieldPatch], force: Force = False
    ) -> FieldOut:
        """Changing the type is refused while friends have values; removing a choice that friends hold is
        refused unless ``force=true``, which takes it out of their values (without field_changed events)."""
        field = await get_or_404(ctx, FieldDefinition, field_id, "field")
        if not isinstance(data.key, msgspec.UnsetType) and data.key != field.key:
            raise invalid([{"path": "$.key", "message": "キーは作成後に変更できません / the key cannot change"}])
        held = await service.has_values(ctx, field.id)
        new_type = field.type if isinstance(data.type, msgspec.UnsetType) else data.type
        if new_type != field.type and held:
            raise ApiError(
                409,
                "type_change_refused",
                f"{held}人の友だちに値が保存されているため型を変更できません。先に値を空にしてください / "
                f"{held} friends have a value: clear them before changing the type",
                [{"path": "$.type", "message": f"{held} friends have a value"}],
            )
        options = _new_options(field, new_type, data)
        accept = list(field.accept or []) if isinstance(data.accept, msgspec.UnsetType) else list(data.accept)
        if new_type != FILE and isinstance(data.accept, msgspec.UnsetType):
            accept = []
        renames = {} if isinstance(data.rename_options, msgspec.UnsetType) else dict(data.rename_options)
        problems = _definition_problems(new_type, options, accept)
        problems += _rename_problems(field, new_type, options, renames)
        if problems:
            raise invalid(problems)
        removed = [o for o in (field.options or []) if o not in options and o not in renames]
        if new_type == field.type and field.type in CHOICE_TYPES and removed:
            usage = await service.option_usage(ctx, field, removed)
            if usage and not force:
                listed = "、".join(f"「{o}」({n}人)" for o, n in usage.items())
                raise ApiError(
                    409,
                    "options_in_use",
                    f"{listed}を選んでいる友だちがいます。?force=true で値から外して削除します / "
                    "friends hold these options; force=true removes them from their values",
                    [{"path": "$.options", "message": f"in use: {o} ({n})"} for o, n in usage.items()],
                )
            if usage:
                add_details(request, options_removed_from_values=usage)
                await service.remove_options(ctx, field, list(usage))
        if renames and new_type == field.type:
            await service.rename_options(ctx, field, renames)
        field.type = new_type
        field.options = options
        field.accept = accept
        for name in ("label", "label_en", "description"):
            value = getattr(data, name)
            if not isinstance(value, msgspec.UnsetType):
                setattr(field, name, value.strip() if name != "description" else value)
        if not isinstance(data.required, msgspec.UnsetType):
            field.required = data.required
        if not isinstance(data.sort_order, msgspec.UnsetType):
            field.sort_order = data.sort_order
        if not isinstance(data.group, msgspec.UnsetType):
            field.group = data.group.strip() if data.group else None
        field.updated_at = utcnow()
        await flush_or_conflict(ctx, key_conflict())
        add_details(request, key=field.key, fields=changed_fields(data))
        return field_out(field, (await service.value_counts(ctx, [field.id])).get(field.id, 0))

    @delete("/{field_id:int}", permission=MANAGE)
    async def delete_field(self, request: AnyRequest, ctx: Ctx, field_id: FromPath[int], force: Force = False) -> None:
        """Deleting a field that friends have values in needs ``force=true``; the values and files go with it."""
        field = await get_or_404(ctx, FieldDefinition, field_id, "field")
        held = await service.has_values(ctx, field.id)
        if held and not force:
            raise ApiError(
                409,
                "field_in_use",
                f"{held}人の友だちに値があります。?force=true で値ごと削除します / "
                f"{held} friends have a value; force=true deletes them too",
            )
        add_details(request, key=field.key, values_deleted=held)
        await ctx.session.delete(field)


class FriendValuesController(Controller):
    path = "/friends/{friend_id:int}"

    @get("/")
    async def show_values(self, ctx: Ctx, friend_id: FromPath[int]) -> FriendValuesOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        return friend_values_out(friend_id, await service.value_rows(ctx, [friend_id]))

    @patch("/", permission=EDIT)
    async def set_values(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], data: JSONBody[ValuesIn]
    ) -> FriendValuesOut:
        """Sets the given fields and clears those given as null; nothing changes unless every value is valid."""
        await get_or_404(ctx, Friend, friend_id, "friend")
        planned = await plan_values(ctx, data.values, friend_id=friend_id)
        changed = []
        for field, stored in planned:
            change = await service.apply(ctx, service.one_friend(friend_id), field, stored, source="manual")
            if change.friends:
                changed.append(field.key)
        add_details(request, keys=sorted(data.values), changed=changed)
        return friend_values_out(friend_id, await service.value_rows(ctx, [friend_id]), changed)

    @delete("/{key:str}", permission=EDIT, status_code=200)
    async def clear_value(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], key: FromPath[str]
    ) -> ClearOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        field = await require_key(ctx, key)
        if field.required:
            raise invalid([{"path": "$.key", "message": "必須項目は空にできません / the field is required"}])
        change = await service.apply(ctx, service.one_friend(friend_id), field, None, source="manual")
        add_details(request, key=key, changed=change.friends > 0)
        return ClearOut(friend_id, key, change.friends > 0)

    @put("/files/{key:str}", permission=EDIT, request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload_file(
        self,
        request: AnyRequest,
        ctx: Ctx,
        friend_id: FromPath[int],
        key: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> FileOut:
        """Stores the uploaded part ``file`` as the field's value; the file it replaces is deleted."""
        await get_or_404(ctx, Friend, friend_id, "friend")
        field = await require_key(ctx, key)
        if field.type != FILE:
            raise invalid([{"path": "$.key", "message": "ファイル項目ではありません / not a file field"}])
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid(
                [{"path": "$.file", "message": "ファイルを添付してください / attach the file as part 'file'"}]
            )
        content = await upload.read()
        limit = max_file_bytes(ctx)
        if len(content) > limit:
            raise ApiError(
                413,
                "too_large",
                f"ファイルは{limit // 1024}KBまでです / the file is over {limit} bytes",
                [{"path": "$.file", "message": f"{len(content)} bytes, limit {limit}"}],
            )
        if not content:
            raise invalid([{"path": "$.file", "message": "空のファイルです / the file is empty"}])
        content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if field.accept and not any(accepts(pattern, content_type) for pattern in field.accept):
            raise invalid(
                [{"path": "$.file", "message": f"{content_type} は受け付けていません(可: {', '.join(field.accept)})"}]
            )
        stored_file = FieldFile(
            friend_id=friend_id,
            field_id=field.id,
            name=file_name(upload.filename),
            content_type=content_type[:127],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            created_by_user_id=ctx.actor_user_id,
        )
        ctx.session.add(stored_file)
        await ctx.session.flush()
        change = await service.apply(
            ctx, service.one_friend(friend_id), field, service.file_stored(stored_file), source="manual"
        )
        add_details(request, key=key, file=stored_file.name, size=stored_file.size)
        return FileOut(friend_id, key, service.file_value(stored_file), change.friends > 0)

    @get("/files/{key:str}")
    async def download_file(self, ctx: Ctx, friend_id: FromPath[int], key: FromPath[str]) -> Response[bytes]:
        await get_or_404(ctx, Friend, friend_id, "friend")
        field = await require_key(ctx, key)
        value = await ctx.session.get(FieldValue, (friend_id, field.id))
        if value is None or value.value_file_id is None:
            raise not_found("file")
        row = (
            await ctx.session.execute(
                select(FieldFile.name, FieldFile.content_type, FieldFile.content).where(
                    FieldFile.id == value.value_file_id
                )
            )
        ).one_or_none()
        if row is None:
            raise not_found("file")
        name, content_type, content = row
        return Response(
            content,
            media_type=content_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )


class BulkController(Controller):
    path = "/bulk"

    @post("/", permission=EDIT, status_code=200)
    async def bulk_set(self, request: AnyRequest, ctx: Ctx, data: JSONBody[BulkIn]) -> BulkOut:
        """Set or clear fields on a list of friends (a page of search results), one statement per field."""
        problems = unknown_ids(data.friend_ids, await missing_ids(ctx, Friend.id, data.friend_ids), "$.friend_ids")
        planned = await plan_values(ctx, data.values, friend_id=None, already=problems)
        friends = service.friends_by_id(data.friend_ids)
        changed: dict[str, int] = {}
        announced = True
        for field, stored in planned:
            change = await service.apply(ctx, friends, field, stored, source="bulk")
            changed[field.key] = change.friends
            announced = announced and change.announced
        add_details(request, keys=sorted(data.values), friends=len(set(data.friend_ids)), changed=changed)
        return BulkOut(changed=changed, events_emitted=announced)


# --- helpers -----------------------------------------------------------------------------------------------


async def listed_fields(ctx: WorkspaceContext, group: str | None = None) -> list[FieldOut]:
    fields = await service.definitions(ctx, group=group)
    counts = await service.value_counts(ctx)
    return [field_out(f, counts.get(f.id, 0)) for f in fields]


async def plan_values(
    ctx: WorkspaceContext,
    values: Mapping[str, Any],
    *,
    friend_id: int | None,
    already: list[dict[str, str]] | None = None,
) -> list[tuple[FieldDefinition, Stored | None]]:
    """Every value checked against its field's schema before anything is written: all or nothing.

    ``friend_id`` is None for bulk changes, where a file (which belongs to one friend) cannot be set.
    """
    problems: list[SchemaProblem | dict[str, str]] = list(already or [])
    fields = await service.definitions_by_key(ctx, list(values))
    planned: list[tuple[FieldDefinition, Stored | None]] = []
    for key, raw in values.items():
        path = f"$.values.{key}"
        field = fields.get(key)
        if field is None:
            problems.append({"path": path, "message": "この項目はありません / no such field"})
            continue
        stored, found = kinds.normalize(field, raw, ctx.tz, path)
        if found:
            problems += found
            continue
        if stored is None and field.required:
            problems.append({"path": path, "message": "必須項目です / the field is required"})
            continue
        if stored is not None and field.type == FILE:
            stored, file_problem = await _existing_file(ctx, field, stored, friend_id, path)
            if file_problem:
                problems.append(file_problem)
                continue
        planned.append((field, stored))
    if problems:
        raise invalid(problems[:MAX_LISTED_PROBLEMS])
    return planned


async def _existing_file(
    ctx: WorkspaceContext, field: FieldDefinition, stored: Stored, friend_id: int | None, path: str
) -> tuple[Stored | None, dict[str, str] | None]:
    """A file value names a file already uploaded into this field of this friend (e.g. the value echoed back)."""
    if friend_id is None:
        return None, {"path": path, "message": "ファイルは一括では設定できません / files cannot be set in bulk"}
    found = await service.file_of(ctx, stored.file_id or 0)
    if found is None or found.friend_id != friend_id or found.field_id != field.id:
        message = "この友だちのこの項目にアップロードされたファイルではありません / upload the file first"
        return None, {"path": f"{path}.file_id", "message": message}
    return service.file_stored(found), None


def _new_options(field: FieldDefinition, new_type: str, data: FieldPatch) -> list[str]:
    if not isinstance(data.options, msgspec.UnsetType):
        return [o.strip() for o in data.options]
    return list(field.options or []) if new_type in CHOICE_TYPES else []


def _definition_problems(kind: str, options: list[str], accept: list[str]) -> list[SchemaProblem | dict[str, str]]:
    problems: list[SchemaProblem | dict[str, str]] = []
    if kind in CHOICE_TYPES:
        if not options:
            problems.append({"path": "$.options", "message": "選択肢を1つ以上入れてください / add at least one option"})
        seen: dict[str, int] = {}
        for i, option in enumerate(options):
            folded = option.casefold()
            if folded in seen:
                problems.append({"path": f"$.options[{i}]", "message": f"「{option}」が重複しています / duplicate"})
            seen.setdefault(folded, i)
    elif options:
        problems.append(
            {"path": "$.options", "message": "選択肢は選択型の項目だけです / only select fields have options"}
        )
    if accept and kind != FILE:
        problems.append({"path": "$.accept", "message": "ファイル項目だけの設定です / only for file fields"})
    return problems


def _rename_problems(
    field: FieldDefinition, new_type: str, options: list[str], renames: dict[str, str]
) -> list[SchemaProblem | dict[str, str]]:
    if not renames:
        return []
    if new_type != field.type or field.type not in CHOICE_TYPES:
        return [
            {"path": "$.rename_options", "message": "選択肢の名前変更は選択型の項目だけです / only for select fields"}
        ]
    problems: list[SchemaProblem | dict[str, str]] = []
    current = set(field.options or [])
    targets: set[str] = set()
    for old, new in renames.items():
        path = f"$.rename_options.{old}"
        if old not in current:
            problems.append({"path": path, "message": "今の選択肢にありません / not a current option"})
        elif old in options:
            problems.append({"path": path, "message": "元の名前が選択肢に残っています / the old name is still listed"})
        elif new not in options or new in current or new in targets:
            problems.append(
                {"path": path, "message": "新しい名前を選択肢に1度だけ入れてください / list the new name once"}
            )
        targets.add(new)
    return problems


async def require_key(ctx: WorkspaceContext, key: str) -> FieldDefinition:
    field = (await service.definitions_by_key(ctx, [key])).get(key)
    if field is None:
        raise not_found("field")
    return field


def key_conflict() -> ApiError:
    return already_taken("key", "同じキーの項目が既にあります / a field with this key exists")


def max_file_bytes(ctx: WorkspaceContext) -> int:
    configured = ctx.settings_of("friend_fields").get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    return min(int(configured), HARD_MAX_FILE_BYTES)


def accepts(pattern: str, content_type: str) -> bool:
    if pattern.endswith("/*"):
        return content_type.startswith(pattern[:-1])
    return content_type == pattern


def file_name(raw: str | None) -> str:
    """The base name as the browser sent it, without path parts or control characters, at most 255 long."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c >= " " and c != "\x7f").strip()
    return name[-255:] or "file"


def changed_fields(data: msgspec.Struct) -> list[str]:
    return sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET)
