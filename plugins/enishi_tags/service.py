"""Tag queries and link changes in set-based SQL that runs the same on SQLite and PostgreSQL.

Every function takes the workspace context: ``ctx.session`` is scoped to the workspace, so ORM SELECT, UPDATE
and DELETE statements see only its rows. The one statement that scoping does not cover is the SELECT inside an
INSERT, which therefore names the workspace itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, delete, exists, func, literal, select

from enishi import BigId, Friend, UTCDateTime, WorkspaceContext, upsert_insert
from enishi_tags.events import TAG_ADDED, TAG_REMOVED, announce
from enishi_tags.models import FriendTag, Tag, TagFolder

Links = list[tuple[int, int]]  # (friend_id, tag_id) pairs


@dataclass(frozen=True, slots=True)
class LinkChange:
    links: int  # friend↔tag links added or removed
    friends: int  # friends who gained or lost at least one of the tags
    announced: bool  # whether the change was announced (always, as sets of events)


NO_CHANGE = LinkChange(0, 0, True)


@dataclass(frozen=True, slots=True)
class TagCounts:
    tag: Tag
    friends: int  # every friend with the tag
    following: int  # of those, the ones who have not blocked the account (who a broadcast reaches)


# --- lookups -----------------------------------------------------------------------------------------------


async def name_taken(ctx: WorkspaceContext, model: type[Tag] | type[TagFolder], name: str, but: int | None) -> bool:
    query = select(model.id).where(model.name == name)
    if but is not None:
        query = query.where(model.id != but)
    return await ctx.session.scalar(query.limit(1)) is not None


async def tags_with_counts(
    ctx: WorkspaceContext,
    *,
    tag_id: int | None = None,
    folder_id: int | None = None,
    unfiled: bool = False,
    query: str | None = None,
) -> list[TagCounts]:
    """Tags with their friend counts in one GROUP BY (the tag list shows how many friends each tag has)."""
    stmt = (
        select(
            Tag,
            func.count(FriendTag.friend_id),
            func.count(Friend.id).filter(Friend.status == "following"),
        )
        .outerjoin(FriendTag, FriendTag.tag_id == Tag.id)
        .outerjoin(Friend, Friend.id == FriendTag.friend_id)
        .group_by(Tag.id)
        .order_by(Tag.sort_order, Tag.id)
    )
    if tag_id is not None:
        stmt = stmt.where(Tag.id == tag_id)
    if folder_id is not None:
        stmt = stmt.where(Tag.folder_id == folder_id)
    if unfiled:
        stmt = stmt.where(Tag.folder_id.is_(None))
    if query:
        stmt = stmt.where(Tag.name.contains(query, autoescape=True))
    rows = await ctx.session.execute(stmt)
    return [TagCounts(tag, int(friends), int(following)) for tag, friends, following in rows]


async def folders_with_counts(ctx: WorkspaceContext, folder_id: int | None = None) -> list[tuple[TagFolder, int]]:
    stmt = (
        select(TagFolder, func.count(Tag.id))
        .outerjoin(Tag, Tag.folder_id == TagFolder.id)
        .group_by(TagFolder.id)
        .order_by(TagFolder.sort_order, TagFolder.id)
    )
    if folder_id is not None:
        stmt = stmt.where(TagFolder.id == folder_id)
    return [(folder, int(count)) for folder, count in await ctx.session.execute(stmt)]


async def tags_of_friend(ctx: WorkspaceContext, friend_id: int) -> list[tuple[Tag, FriendTag]]:
    rows = await ctx.session.execute(
        select(Tag, FriendTag)
        .join(FriendTag, FriendTag.tag_id == Tag.id)
        .where(FriendTag.friend_id == friend_id)
        .order_by(Tag.sort_order, Tag.id)
    )
    return [(tag, link) for tag, link in rows]


async def tag_names_of(ctx: WorkspaceContext, friend_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tag names per friend for a page of friends, in one query; friends without tags are left out."""
    if not friend_ids:
        return {}
    rows = await ctx.session.execute(
        select(FriendTag.friend_id, Tag.name)
        .join(Tag, Tag.id == FriendTag.tag_id)
        .where(FriendTag.friend_id.in_(set(friend_ids)))
        .order_by(FriendTag.friend_id, Tag.sort_order, Tag.id)
    )
    names: dict[int, list[str]] = {}
    for friend_id, name in rows:
        names.setdefault(friend_id, []).append(name)
    return names


# --- adding and removing tags ------------------------------------------------------------------------------


def friends_by_id(ids: Sequence[int]) -> Select[Any]:
    """The friend-id select that the link functions take, for a known list of ids."""
    return select(Friend.id).where(Friend.id.in_(set(ids)))


async def add_tags(
    ctx: WorkspaceContext, friend_ids: Select[Any], tag_ids: Sequence[int], *, source: str
) -> LinkChange:
    """Give every friend ``friend_ids`` yields every tag of ``tag_ids``.

    One INSERT … SELECT for any number of friends. Friends and tags not in this workspace are skipped, and links
    that exist already are left alone (NOT EXISTS, plus ON CONFLICT DO NOTHING against a concurrent request),
    so running it twice changes nothing the second time. Announces ``tags.tag_added`` for every new link, as one
    batch per tag.
    """
    if not tag_ids:
        return NO_CHANGE
    new_links = (
        select(Friend.id.label("friend_id"), Tag.id.label("tag_id"))
        .select_from(Friend)
        .join(Tag, Tag.id.in_(sorted(set(tag_ids))))
        .where(
            Friend.workspace_id == ctx.workspace_id,
            Tag.workspace_id == ctx.workspace_id,
            # correlate(None): a caller's select over friends must stay a query of its own, not be merged into
            # this one's FROM friends.
            Friend.id.in_(friend_ids.correlate(None)),
            ~exists().where(FriendTag.friend_id == Friend.id, FriendTag.tag_id == Tag.id),
        )
    )
    rows = new_links.add_columns(
        literal(ctx.workspace_id, BigId),
        literal(ctx.now, UTCDateTime()),
        literal(ctx.actor_user_id, BigId),
        literal(source, String(32)),
    )
    columns = ["friend_id", "tag_id", "workspace_id", "added_at", "added_by_user_id", "source"]
    stmt = _insert_skipping_existing(ctx, columns, rows)
    added: Links = [(f, t) for f, t in await ctx.session.execute(stmt.returning(FriendTag.friend_id, FriendTag.tag_id))]
    await announce(ctx, TAG_ADDED, added, source)
    return LinkChange(len(added), len({f for f, _ in added}), True)


async def remove_tags(
    ctx: WorkspaceContext, friend_ids: Select[Any], tag_ids: Sequence[int], *, source: str
) -> LinkChange:
    """Take every tag of ``tag_ids`` off every friend ``friend_ids`` yields.

    One DELETE through the scoped session, so only this workspace's links are touched. Announces
    ``tags.tag_removed`` for every removed link, as one batch per tag.
    """
    if not tag_ids:
        return NO_CHANGE
    criteria = (FriendTag.tag_id.in_(sorted(set(tag_ids))), FriendTag.friend_id.in_(friend_ids.correlate(None)))
    # Links are never held in the session while this runs, so there is nothing to synchronise.
    stmt = delete(FriendTag).where(*criteria).execution_options(synchronize_session=False)
    removed: Links = [
        (f, t) for f, t in await ctx.session.execute(stmt.returning(FriendTag.friend_id, FriendTag.tag_id))
    ]
    await announce(ctx, TAG_REMOVED, removed, source)
    return LinkChange(len(removed), len({f for f, _ in removed}), True)


def _insert_skipping_existing(ctx: WorkspaceContext, columns: list[str], rows: Select[Any]) -> Any:
    """INSERT … SELECT … ON CONFLICT (friend_id, tag_id) DO NOTHING; SQLAlchemy offers it per dialect only."""
    stmt = upsert_insert(ctx.session, FriendTag).from_select(columns, rows)
    return stmt.on_conflict_do_nothing(index_elements=["friend_id", "tag_id"])
