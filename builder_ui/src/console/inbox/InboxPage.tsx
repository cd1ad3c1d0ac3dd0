// The inbox (1:1チャット): conversations, newest first with unread counts, filtered by response mark, assignee
// and unread; the chosen one's chat thread beside the friend's mark and assignee, which can be changed there.
// The list follows new messages live (the inbox stream).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { LookupContext, useOptions } from "../../forms/pickers";
import { navigate } from "../../router";
import type { Me, WorkspaceAccess } from "../../types";
import { sectionUrl } from "../sections";
import { ChatThread } from "./ChatThread";
import { AssigneeControl, errorText, MarkControl } from "./FriendControls";
import { subscribeInbox } from "./live";
import type { Conversation, FriendBrief, Page } from "./types";
import "./inbox.css";

export interface InboxFilters {
  /** "" any mark, "none" no mark, or a mark id */
  mark: string;
  /** "" anyone, "me", "nobody", or a staff member's user id */
  assignee: string;
  unreadOnly: boolean;
}

export const NO_FILTERS: InboxFilters = { mark: "", assignee: "", unreadOnly: false };
const PAGE = 50;
const REFRESH_DELAY_MS = 250;

type Condition = { type: string; config: Record<string, unknown> };

/** The filters as a segment the server compiles to SQL (null: every conversation). */
export function filterSegment(filters: InboxFilters, meId: number | null): { all: Condition[] } | null {
  const all: Condition[] = [];
  if (filters.mark === "none") all.push({ type: "response_marks.mark_is", config: { no_mark: true } });
  else if (filters.mark) all.push({ type: "response_marks.mark_is", config: { mark_ids: [Number(filters.mark)] } });
  if (filters.assignee === "nobody") all.push({ type: "assignment.assignee_is", config: { match: "nobody" } });
  else if (filters.assignee) {
    const id = filters.assignee === "me" ? meId : Number(filters.assignee);
    // Not staff yet (no user id): "me" matches nobody's assignee rather than everyone.
    all.push({ type: "assignment.assignee_is", config: { match: "any_of", user_ids: [id ?? 0] } });
  }
  return all.length ? { all } : null;
}

export function conversationsUrl(workspaceId: number, filters: InboxFilters, meId: number | null, limit = PAGE, after?: string): string {
  const params = new URLSearchParams({ limit: String(limit) });
  const segment = filterSegment(filters, meId);
  if (segment) params.set("segment", JSON.stringify(segment));
  if (filters.unreadOnly) params.set("unread_only", "true");
  if (after) params.set("after", after);
  return workspaceUrl(workspaceId, `/inbox/conversations?${params}`);
}

export function InboxPage({ access, friendId }: { access: WorkspaceAccess; friendId: number | null }) {
  const lookupSource = useMemo(
    () => ({ workspaceId: access.workspace.id, enabledPlugins: access.enabled_plugins }),
    [access.workspace.id, access.enabled_plugins],
  );
  return (
    <LookupContext.Provider value={lookupSource}>
      <Inbox access={access} friendId={friendId} />
    </LookupContext.Provider>
  );
}

function Inbox({ access, friendId }: { access: WorkspaceAccess; friendId: number | null }) {
  const { t } = useTranslation();
  const ws = access.workspace.id;
  const marksOn = access.enabled_plugins.includes("response_marks");
  const assignmentOn = access.enabled_plugins.includes("assignment");
  const [filters, setFilters] = useState<InboxFilters>(NO_FILTERS);
  const [meId, setMeId] = useState<number | null>(null);
  const [items, setItems] = useState<Conversation[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const shown = useRef(PAGE);
  const { options: marks } = useOptions(marksOn ? "response_marks.marks" : null);
  const { options: staff } = useOptions(assignmentOn ? "assignment.staff" : null);

  useEffect(() => {
    api
      .get<Me>("/api/auth/me")
      .then((me) => setMeId(me.user.id))
      .catch(() => undefined);
  }, []);

  // The first pages again (as many as are shown), e.g. after news from the stream or a changed filter.
  const latest = useRef(0);
  const reload = useCallback(async () => {
    // Answers may come back out of order (a filter changed meanwhile): only the last one asked counts.
    const mine = ++latest.current;
    try {
      const page = await api.get<Page<Conversation>>(conversationsUrl(ws, filters, meId, Math.min(shown.current, 200)));
      if (mine !== latest.current) return;
      setItems(page.items);
      setNext(page.next);
      setError(null);
    } catch (e) {
      if (mine === latest.current) setError(errorText(e));
    }
  }, [ws, filters, meId]);

  useEffect(() => {
    shown.current = PAGE;
    setItems(null);
    void reload();
  }, [reload]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = subscribeInbox(ws, () => {
      // Many events in a burst: one reload.
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void reload(), REFRESH_DELAY_MS);
    });
    return () => {
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }, [ws, reload]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await api.get<Page<Conversation>>(conversationsUrl(ws, filters, meId, PAGE, next));
      shown.current += page.items.length;
      setItems((current) => [...(current ?? []), ...page.items]);
      setNext(page.next);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const open = (id: number) => navigate(sectionUrl(ws, "inbox", id));
  const listed = items?.find((c) => c.friend.id === friendId)?.friend ?? null;
  // The open friend may be filtered out of the list (or not loaded yet): their name comes from their profile.
  const [profile, setProfile] = useState<FriendBrief | null>(null);
  useEffect(() => {
    setProfile(null);
    if (friendId === null) return;
    let live = true;
    api
      .get<FriendBrief>(workspaceUrl(ws, `/friends/${friendId}`))
      .then((f) => live && setProfile(f))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ws, friendId]);
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
            {totalUnread > 0 && (
              <span className="unread-count" aria-label={t("inbox.unread", { count: totalUnread })}>
                {totalUnread}
              </span>
            )}
          </h1>
          {marksOn && (
            <label className="field">
              {t("inbox.filter_mark")}
              <select value={filters.mark} onChange={(e) => setFilters({ ...filters, mark: e.target.value })}>
                <option value="">{t("inbox.any")}</option>
                <option value="none">{t("inbox.no_mark")}</option>
                {(marks ?? []).map((o) => (
                  <option key={String(o.value)} value={String(o.value)}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {assignmentOn && (
            <label className="field">
              {t("inbox.filter_assignee")}
              <select value={filters.assignee} onChange={(e) => setFilters({ ...filters, assignee: e.target.value })}>
                <option value="">{t("inbox.any")}</option>
                {/* Only staff of the workspace can be assigned friends (an agency's owner may not be). */}
                {meId !== null && (staff ?? []).some((o) => o.value === meId) && <option value="me">{t("inbox.me")}</option>}
                <option value="nobody">{t("inbox.unassigned")}</option>
                {(staff ?? []).map((o) => (
                  <option key={String(o.value)} value={String(o.value)}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="check">
            <input type="checkbox" checked={filters.unreadOnly} onChange={(e) => setFilters({ ...filters, unreadOnly: e.target.checked })} />
            {t("inbox.unread_only")}
          </label>
        </div>
        {error && (
          <p className="error small" role="alert">
            {error}
          </p>
        )}
        <ul className="inbox-conversations" aria-label={t("inbox.conversations")}>
          {items === null && <li className="muted">{t("common.loading")}</li>}
          {items?.length === 0 && <li className="muted">{t("inbox.no_conversations")}</li>}
          {items?.map((c) => (
            <li key={c.friend.id}>
              <button type="button" aria-current={c.friend.id === friendId ? "true" : undefined} onClick={() => open(c.friend.id)}>
                <span className="name">
                  {c.friend.display_name || `#${c.friend.id}`}
                  {c.friend.status === "blocked" && <span className="badge">{t("inbox.blocked")}</span>}
                </span>
                {unreadOf(c) > 0 ? (
                  <span className="unread-count" aria-label={t("inbox.unread", { count: unreadOf(c) })}>
                    {unreadOf(c)}
                  </span>
                ) : (
                  <span />
                )}
                <span className="preview">{preview(c, t)}</span>
              </button>
            </li>
          ))}
          {next && (
            <li>
              <button type="button" className="small" onClick={() => void more()}>
                {t("inbox.more")}
              </button>
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
                {selected?.display_name || `#${friendId}`}
                {selected?.status === "blocked" && <span className="badge">{t("inbox.blocked")}</span>}
              </h2>
              <span className="spacer" />
              <a
                href={sectionUrl(ws, "friends", friendId)}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(sectionUrl(ws, "friends", friendId));
                }}
              >
                {t("inbox.friend_page")}
              </a>
            </div>
            <ChatThread key={friendId} access={access} friendId={friendId} />
          </main>
          <aside className="inbox-side" aria-label={t("inbox.friend")}>
            {marksOn && <MarkControl access={access} friendId={friendId} onChanged={() => void reload()} />}
            {assignmentOn && <AssigneeControl access={access} friendId={friendId} onChanged={() => void reload()} />}
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

/** A select bound to a friend's value in a plugin (GET it, PUT {key: id}, DELETE for none). */
