// The inbox (1:1チャット): conversations, newest first with unread counts, filtered by response mark, assignee
// and unread; the chosen one's chat thread beside the friend's mark and assignee, which can be changed there.
// The list follows new messages live (the inbox stream).
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Alert, Badge, Button, Checkbox, Empty, Tag } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, errorText, workspaceUrl } from "../../api";
import { inboxKeys, keyOfUrl, queryClient, useApiGet } from "../../query";
import { LookupContext } from "../../forms/pickers";
import type { Contribution, ConversationFilterSlot, SegmentConditionOf } from "../../platform/contract";
import { useContributions } from "../../platform/modules";
import type { Me, WorkspaceAccess } from "../../types";
import { shownName } from "../friends/types";
import { sectionUrl } from "../sections";
import { THEME } from "../../theme";
import { ChatThread } from "./ChatThread";
import { subscribeInbox } from "./live";
import type { Conversation, FriendBrief, Page } from "./types";
import "./inbox.css";

/** The values of the filters plugins bring (by `<plugin>.<key>`), and unread only. */
export interface InboxFilters {
  values: Record<string, string>;
  unreadOnly: boolean;
}

export const NO_FILTERS: InboxFilters = { values: {}, unreadOnly: false };
const PAGE = 50;
const REFRESH_DELAY_MS = 250;
// Unread counts in white on the console's dark green (5.4:1; antd's red would say "error").
const UNREAD_COLOUR = THEME.token?.colorPrimary;

/** A number of unread messages, said in words to a screen reader. */
function Unread({ count, label }: { count: number; label: string }) {
  return <Badge className="unread-count" count={count} overflowCount={999} color={UNREAD_COLOUR} aria-label={label} />;
}

type Filter = Contribution<ConversationFilterSlot>;
const filterKey = ({ plugin, slot }: Filter) => `${plugin}.${slot.key}`;

/** The filters as a segment the server compiles to SQL (null: every conversation). */
export function filterSegment(
  filters: InboxFilters,
  available: readonly Filter[],
  meId: number | null,
): { all: SegmentConditionOf[] } | null {
  const all: SegmentConditionOf[] = [];
  for (const filter of available) {
    const value = filters.values[filterKey(filter)] ?? "";
    const condition = value ? filter.slot.condition(value, { meId }) : null;
    if (condition) all.push(condition);
  }
  return all.length ? { all } : null;
}

export function conversationsUrl(
  workspaceId: number,
  filters: InboxFilters,
  available: readonly Filter[],
  meId: number | null,
  limit = PAGE,
  after?: string,
): string {
  const params = new URLSearchParams({ limit: String(limit) });
  const segment = filterSegment(filters, available, meId);
  if (segment) params.set("segment", JSON.stringify(segment));
  if (filters.unreadOnly) params.set("unread_only", "true");
  if (after) params.set("after", after);
  return workspaceUrl(workspaceId, `/inbox/conversations?${params}`);
}

export function InboxPage({ access, friendId }: { access: WorkspaceAccess; friendId: number | null }) {
  // The pickers' lists are the workspace catalog's lookups (only those of enabled plugins).
  const lookupSource = useMemo(() => ({ workspaceId: access.workspace.id }), [access.workspace.id]);
  return (
    <LookupContext.Provider value={lookupSource}>
      <Inbox access={access} friendId={friendId} />
    </LookupContext.Provider>
  );
}

function Inbox({ access, friendId }: { access: WorkspaceAccess; friendId: number | null }) {
  const { t } = useTranslation();
  const ws = access.workspace.id;
  // Plugins' friend panels meant beside a chat (a response mark, an assignee …), in their order.
  const panels = useContributions("friendPanel");
  const besideChat = useMemo(
    () => panels.filter(({ slot }) => slot.besideChat).sort((a, b) => (a.slot.order ?? 100) - (b.slot.order ?? 100)),
    [panels],
  );
  // Plugins' filters of the list (a response mark, an assignee …), in their order.
  const contributed = useContributions("conversationFilter");
  const available = useMemo(
    () => [...contributed].sort((a, b) => (a.slot.order ?? 100) - (b.slot.order ?? 100)),
    [contributed],
  );
  const [filters, setFilters] = useState<InboxFilters>(NO_FILTERS);
  const meId = useApiGet<Me>("/api/auth/me").data?.user.id ?? null;

  // The conversations of the filters shown, more pages on demand. While the next filters are asked for, the
  // last list stays on screen; an answer for filters no longer shown never lands.
  const firstUrl = conversationsUrl(ws, filters, available, meId);
  const list = useInfiniteQuery(
    {
      queryKey: inboxKeys.conversationList(ws, firstUrl),
      queryFn: ({ pageParam, signal }) =>
        api.get<Page<Conversation>>(conversationsUrl(ws, filters, available, meId, PAGE, pageParam ?? undefined), signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last: Page<Conversation>) => last.next ?? undefined,
      // (never another workspace's list)
      placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === ws ? keepPreviousData(previous) : undefined),
      staleTime: 0,
    },
    queryClient,
  );
  const items = useMemo(() => {
    const pages = list.data?.pages;
    if (!pages) return null;
    // A conversation that moved up between two pages is listed once.
    const seen = new Set<number>();
    return pages.flatMap((p) => p.items).filter((c) => !seen.has(c.friend.id) && (seen.add(c.friend.id), true));
  }, [list.data]);
  const error = list.error ? errorText(list.error) : null;
  // Every list of conversations read again (the shown one at once), e.g. after news from the stream; once a
  // further page being read has come (reading again now would drop it).
  const readingMore = useRef(false);
  const newsMeanwhile = useRef(false);
  const reload = useCallback(() => {
    if (readingMore.current) newsMeanwhile.current = true;
    else void queryClient.invalidateQueries({ queryKey: inboxKeys.conversations(ws) });
  }, [ws]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = subscribeInbox(ws, () => {
      // Many events in a burst: one reload.
      if (timer) clearTimeout(timer);
      timer = setTimeout(reload, REFRESH_DELAY_MS);
    });
    return () => {
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }, [ws, reload]);

  const more = () => {
    if (!list.hasNextPage || list.isFetchingNextPage) return;
    readingMore.current = true;
    void list.fetchNextPage().finally(() => {
      readingMore.current = false;
      if (newsMeanwhile.current) {
        newsMeanwhile.current = false;
        reload();
      }
    });
  };

  const navigate = useNavigate();
  const open = (id: number) => navigate(sectionUrl(ws, "inbox", id));
  const listed = items?.find((c) => c.friend.id === friendId)?.friend ?? null;
  // The open friend may be filtered out of the list (or not loaded yet): their name comes from their profile.
  const profileUrl = workspaceUrl(ws, `/friends/${friendId ?? 0}`);
  const profile =
    useQuery(
      {
        queryKey: keyOfUrl(profileUrl),
        queryFn: ({ signal }) => api.get<FriendBrief>(profileUrl, signal),
        enabled: friendId !== null,
      },
      queryClient,
    ).data ?? null;
  const selected = listed ?? profile;
  // The open conversation is being read as it grows: no unread badge for it.
  const unreadOf = (c: Conversation) => (c.friend.id === friendId ? 0 : c.unread);
  const totalUnread = (items ?? []).reduce((sum, c) => sum + unreadOf(c), 0);

  return (
    <div className="inbox">
      <aside className="inbox-list" aria-label={t("inbox.conversations")}>
        <div className="inbox-filters" role="group" aria-label={t("inbox.filters")}>
          <h1 className="small-heading">
            {t("inbox.title")}
            {totalUnread > 0 && <Unread count={totalUnread} label={t("inbox.unread", { count: totalUnread })} />}
          </h1>
          {available.map((filter) => (
            <filter.slot.component
              key={filterKey(filter)}
              workspaceId={ws}
              meId={meId}
              value={filters.values[filterKey(filter)] ?? ""}
              onChange={(value) => setFilters((f) => ({ ...f, values: { ...f.values, [filterKey(filter)]: value } }))}
            />
          ))}
          <Checkbox checked={filters.unreadOnly} onChange={(e) => setFilters((f) => ({ ...f, unreadOnly: e.target.checked }))}>
            {t("inbox.unread_only")}
          </Checkbox>
        </div>
        {error && <Alert className="inbox-error" type="error" message={error} />}
        <ul className="inbox-conversations" aria-label={t("inbox.conversations")}>
          {items === null && <li className="muted">{t("common.loading")}</li>}
          {items?.length === 0 && (
            <li>
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("inbox.no_conversations")} />
            </li>
          )}
          {items?.map((c) => (
            <li key={c.friend.id}>
              <Button
                type="text"
                block
                className="conversation"
                aria-current={c.friend.id === friendId ? "true" : undefined}
                onClick={() => open(c.friend.id)}
              >
                <span className="name">
                  {shownName(c.friend) || `#${c.friend.id}`}
                  {c.friend.status === "blocked" && <Tag className="blocked">{t("inbox.blocked")}</Tag>}
                </span>
                {unreadOf(c) > 0 ? <Unread count={unreadOf(c)} label={t("inbox.unread", { count: unreadOf(c) })} /> : <span />}
                <span className="preview">{preview(c, t)}</span>
              </Button>
            </li>
          ))}
          {list.hasNextPage && (
            <li>
              <Button size="small" className="more" loading={list.isFetchingNextPage} onClick={more}>
                {t("inbox.more")}
              </Button>
            </li>
          )}
        </ul>
      </aside>
      {friendId === null ? (
        <p className="inbox-main muted">{t("inbox.choose")}</p>
      ) : (
        <>
          <main className="inbox-main">
            <div className="row">
              <h2 className="small-heading">
                {(selected && shownName(selected)) || `#${friendId}`}
                {selected?.status === "blocked" && <Tag className="blocked">{t("inbox.blocked")}</Tag>}
              </h2>
              {selected?.name_override && <span className="muted small">{t("friends.line_name", { name: selected.display_name })}</span>}
              <span className="spacer" />
              <Link to={sectionUrl(ws, "friends", friendId)}>{t("inbox.friend_page")}</Link>
            </div>
            <ChatThread key={friendId} access={access} friendId={friendId} />
          </main>
          <aside className="inbox-side" aria-label={t("inbox.friend")}>
            {besideChat.map(({ plugin, slot }) => (
              <slot.component
                key={`${plugin}.${slot.key}`}
                workspaceId={ws}
                permissions={access.permissions}
                friendId={friendId}
                timezone={access.workspace.timezone}
                onChanged={reload}
              />
            ))}
          </aside>
        </>
      )}
    </div>
  );
}

function preview(c: Conversation, t: (key: string, o?: Record<string, unknown>) => string): string {
  const m = c.last_message;
  const who = m.direction === "out" ? "↩ " : "";
  if (m.kind === "text" || m.kind === "postback") return who + (m.text ?? "");
  if (m.kind === "sticker") return who + t("inbox.sticker");
  if (["image", "video", "audio", "file"].includes(m.kind)) return who + t(`inbox.media.${m.kind}`);
  return who + String(m.body.altText ?? m.text ?? m.kind);
}

