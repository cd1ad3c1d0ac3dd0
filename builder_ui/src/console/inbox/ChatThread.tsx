// The conversation with one friend (1:1チャット): messages in and out, a reply box, read markers.
// New messages come in live (the inbox stream); a reply shows queued → sent (or failed) as the outbox sends it.
import { useInfiniteQuery, useQuery, type InfiniteData } from "@tanstack/react-query";
import { Alert, Button, Input } from "antd";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../../api";
import { inboxKeys, keyOfUrl, queryClient } from "../../query";
import type { WorkspaceAccess } from "../../types";
import { MediaPicker } from "../media/MediaPicker";
import type { MediaItem } from "../media/types";
import type { CatalogLookup } from "../../platform/contract";
import { asChatMessage, interleave, useReceivedBroadcasts } from "./broadcastHistory";
import { subscribeInbox } from "./live";
import { SavedMessageSender, StickerPicker, stickerImage, type Sticker } from "./ReplyTools";
import type { ChatMessage, Page, ReplyResult } from "./types";
import "./inbox.css";

const PAGE = 50;
const UNSETTLED_POLL_MS = 1500;
const MEDIA_KINDS = new Set(["image", "video", "audio", "file"]);

/** Messages by id, oldest first; a message seen again replaces the older copy (its delivery may have moved on). */
export function mergeMessages(current: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Outbound messages still on their way (the outbox has not heard back from LINE yet). */
export function unsettled(messages: ChatMessage[]): boolean {
  return messages.some((m) => m.direction === "out" && (m.delivery === "pending" || m.delivery === "sending"));
}

export function deliveryKey(m: ChatMessage): "queued" | "sent" | "failed" | "held" | null {
  if (m.direction !== "out" || !m.delivery) return null;
  if (m.delivery === "accepted") return "sent";
  if (m.delivery === "failed") return "failed";
  if (m.delivery === "held") return "held";
  return "queued";
}

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function ChatThread(props: { access: WorkspaceAccess; friendId: number }) {
  const { access, friendId } = props;
  const workspaceId = access.workspace.id;
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState("");
  const [attached, setAttached] = useState<MediaItem | null>(null);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const retryKey = useRef<string | null>(null);
  const readUpTo = useRef(0);
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  const olderScroll = useRef<{ pages: number; fromBottom: number } | null>(null);
  const canWrite = access.permissions.includes("core.write");
  const base = workspaceUrl(workspaceId, `/inbox/friends/${friendId}`);
  const key = inboxKeys.thread(workspaceId, friendId);

  // The newest page, older pages on demand. Read again when the stream says this friend has news, and every
  // moment while a reply is on its way (until LINE has answered for it).
  const thread = useInfiniteQuery(
    {
      queryKey: key,
      queryFn: ({ pageParam, signal }) =>
        api.get<Page<ChatMessage>>(
          `${base}/messages?limit=${PAGE}${pageParam ? `&before=${encodeURIComponent(pageParam)}` : ""}`,
          signal,
        ),
      initialPageParam: null as string | null,
      getNextPageParam: (last: Page<ChatMessage>) => last.next ?? undefined,
      refetchInterval: (q) => (unsettled(q.state.data?.pages.flatMap((p) => p.items) ?? []) ? UNSETTLED_POLL_MS : false),
      staleTime: 0,
    },
    queryClient,
  );
  const messages = useMemo(() => mergeMessages([], thread.data?.pages.flatMap((p) => p.items) ?? []), [thread.data]);
  const pageCount = thread.data?.pages.length ?? 0;
  const loaded = thread.data !== undefined;
  // A failed read again keeps what is shown (as the stream's refreshes always did); only a first read's failure shows.
  // The broadcasts this friend received, placed by time: from the oldest message shown on (all once it is all shown).
  const since = thread.hasNextPage && messages.length ? messages[0].occurred_at : null;
  const received = useReceivedBroadcasts(workspaceId, friendId, since, loaded);
  const broadcastLabel = t("inbox.source.broadcast");
  const shown = useMemo(
    () => interleave(messages, (received.data ?? []).map((b) => asChatMessage(b, broadcastLabel))),
    [messages, received.data, broadcastLabel],
  );
  const error = !loaded && thread.error ? (thread.error instanceof ApiError ? thread.error.message : String(thread.error)) : null;

  // Another friend: another reply, read from their newest message.
  useEffect(() => {
    setSendError(null);
    setDraft("");
    setAttached(null);
    retryKey.current = null;
    readUpTo.current = 0;
    stickToBottom.current = true;
    olderScroll.current = null;
  }, [base]);

  // New messages of this friend, live (once an older page being read has come: reading again now would drop it).
  const readingOlder = useRef(false);
  const newsMeanwhile = useRef(false);
  useEffect(() => {
    return subscribeInbox(workspaceId, (event) => {
      if (event.updates.length === 0 || event.updates.some((u) => u.friend_id === friendId)) {
        if (readingOlder.current) newsMeanwhile.current = true;
        else void queryClient.invalidateQueries({ queryKey: inboxKeys.thread(workspaceId, friendId) });
      }
    });
  }, [workspaceId, friendId]);

  // Read up to the newest message shown (a staff member without write access just reads).
  const newest = messages.length ? messages[messages.length - 1].id : 0;
  useEffect(() => {
    if (!loaded || !canWrite || newest <= readUpTo.current) return;
    readUpTo.current = newest;
    api.put(`${base}/read`, { last_read_message_id: newest }).catch(() => undefined);
  }, [loaded, canWrite, newest, base]);

  // Follow the conversation down as it grows, unless the reader scrolled up to older messages; when older
  // messages come in above, the ones being read stay where they were.
  useLayoutEffect(() => {
    const list = listRef.current;
    const older = olderScroll.current;
    if (older && pageCount >= older.pages) {
      olderScroll.current = null;
      stickToBottom.current = false;
      if (list) list.scrollTop = list.scrollHeight - older.fromBottom;
    } else if (list && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [shown, pageCount]);

  const loadOlder = () => {
    if (!thread.hasNextPage || thread.isFetchingNextPage) return;
    const list = listRef.current;
    olderScroll.current = { pages: pageCount + 1, fromBottom: list ? list.scrollHeight - list.scrollTop : 0 };
    readingOlder.current = true;
    void thread.fetchNextPage().finally(() => {
      readingOlder.current = false;
      if (newsMeanwhile.current) {
        newsMeanwhile.current = false;
        void queryClient.invalidateQueries({ queryKey: key });
      }
    });
  };

  const failed = (e: unknown) =>
    setSendError(
      e instanceof ApiError ? [e.message, ...e.errors.map((x) => x.message)].filter(Boolean).join(" — ") : String(e),
    );

  /** A sticker or a saved message goes at once, on its own (the draft stays as it is). */
  const sendNow = async (messages: Record<string, unknown>[]) => {
    if (sending) return;
    setSending(true);
    setSendError(null);
    try {
      const result = await api.post<ReplyResult>(`${base}/messages`, { messages, idempotency_key: newKey() });
      await showSent(result);
    } catch (e) {
      failed(e);
    } finally {
      setSending(false);
    }
  };

  const sendSaved = async (lookup: CatalogLookup, value: string | number): Promise<boolean> => {
    setSendError(null);
    try {
      await api.post(workspaceUrl(workspaceId, lookup.send_path ?? ""), {
        friend_id: friendId,
        [lookup.send_field ?? ""]: value,
        idempotency_key: newKey(),
      });
      stickToBottom.current = true;
      await queryClient.invalidateQueries({ queryKey: key });
      return true;
    } catch (e) {
      failed(e);
      return false;
    }
  };

  const showSent = async (result: ReplyResult) => {
    // A read that left before the reply was stored must not take it off the screen again.
    await queryClient.cancelQueries({ queryKey: key });
    if (queryClient.getQueryData(key)) {
      queryClient.setQueryData<InfiniteData<Page<ChatMessage>, string | null>>(key, (data) =>
        data && data.pages.length
          ? { ...data, pages: [{ ...data.pages[0], items: [...result.messages, ...data.pages[0].items] }, ...data.pages.slice(1)] }
          : data,
      );
    } else void queryClient.invalidateQueries({ queryKey: key });
    stickToBottom.current = true;
  };

  const send = async () => {
    const text = draft.trim();
    if ((!text && !attached) || sending) return;
    setSending(true);
    setSendError(null);
    // The same key for a retry of the same text: the server then sends it once.
    retryKey.current ??= newKey();
    const messages: Record<string, unknown>[] = [];
    if (text) messages.push({ type: "text", text });
    if (attached) {
      messages.push({ type: attached.kind, originalContentUrl: attached.url, previewImageUrl: attached.preview_url });
    }
    try {
      const result = await api.post<ReplyResult>(`${base}/messages`, {
        messages,
        idempotency_key: retryKey.current,
      });
      await showSent(result);
      setDraft("");
      setAttached(null);
      retryKey.current = null;
    } catch (e) {
      failed(e);
    } finally {
      setSending(false);
    }
  };

  const timeFormat = new Intl.DateTimeFormat(i18n.language === "en" ? "en-US" : "ja-JP", {
    timeZone: access.workspace.timezone,
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });

  return (
    <section className="chat-thread" aria-label={t("inbox.thread")}>
      {error && <Alert className="chat-error" type="error" message={t("common.failed", { message: error })} />}
      <ol
        className="chat-messages"
        ref={listRef}
        aria-label={t("inbox.messages")}
        aria-live="polite"
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {thread.hasNextPage && (
          <li className="chat-older">
            <Button size="small" loading={thread.isFetchingNextPage} onClick={loadOlder}>
              {t("inbox.older")}
            </Button>
          </li>
        )}
        {!loaded && !error && <li className="muted">{t("common.loading")}</li>}
        {loaded && shown.length === 0 && <li className="muted">{t("inbox.no_messages")}</li>}
        {shown.map((m) => (
          <MessageRow key={m.row_key ?? m.id} message={m} workspaceId={workspaceId} time={timeFormat.format(new Date(m.occurred_at))} />
        ))}
      </ol>
      {canWrite && (
        <form
          className="chat-reply"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <label className="visually-hidden" htmlFor={`reply-${friendId}`}>
            {t("inbox.reply")}
          </label>
          <Input.TextArea
            id={`reply-${friendId}`}
            autoSize={{ minRows: 2, maxRows: 8 }}
            maxLength={5000}
            placeholder={t("inbox.reply_placeholder")}
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
              retryKey.current = null; // another text: another message
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <Button type="primary" htmlType="submit" loading={sending} disabled={!sending && !draft.trim() && !attached}>
            {sending ? t("inbox.sending") : t("inbox.send")}
          </Button>
          <div className="chat-tools">
            <MediaPicker
              workspaceId={workspaceId}
              kind="image"
              label={t("inbox.tools.image")}
              disabled={sending}
              onPick={(item) => {
                setAttached(item);
                retryKey.current = null; // another image: another message
              }}
            />
            <StickerPicker disabled={sending} onPick={(s: Sticker) => void sendNow([{ type: "sticker", ...s }])} />
            <SavedMessageSender workspaceId={workspaceId} disabled={sending} onSend={sendSaved} />
          </div>
          {attached && (
            <div className="chat-attached" role="group" aria-label={t("inbox.tools.attached")}>
              <img src={attached.view_url} alt={attached.name} />
              <span className="small">{attached.name}</span>
              <Button
                size="small"
                onClick={() => {
                  setAttached(null);
                  retryKey.current = null;
                }}
              >
                {t("inbox.tools.remove_image")}
              </Button>
            </div>
          )}
          {sendError && (
            <Alert className="chat-send-error" type="error" message={t("inbox.send_failed", { message: sendError })} />
          )}
        </form>
      )}
    </section>
  );
}

function MessageRow({ message: m, workspaceId, time }: { message: ChatMessage; workspaceId: number; time: string }) {
  const { t } = useTranslation();
  if (m.kind === "postback" || isSystem(m)) {
    return (
      <li className="chat-system" data-message-id={m.id}>
        <span>{systemText(m, t)}</span> <time className="muted small">{time}</time>
      </li>
    );
  }
  const state = deliveryKey(m);
  const by = m.direction === "out" ? (m.sent_by_name ?? t(`inbox.source.${m.source}`, { defaultValue: m.source })) : null;
  return (
    <li className={`chat-row ${m.direction === "in" ? "chat-in" : "chat-out"}`} data-message-id={m.id}>
      <div className="chat-bubble-wrap">
        <MessageBody message={m} workspaceId={workspaceId} />
        <div className="chat-meta small muted">
          {by && <span>{by}</span>}
          <time>{time}</time>
          {state && (
            <span className={`chat-delivery delivery-${state}`} title={m.delivery_error ?? undefined}>
              {t(`inbox.delivery.${state}`)}
              {state === "failed" && m.delivery_error ? `: ${m.delivery_error}` : ""}
            </span>
          )}
        </div>
      </div>
    </li>
  );
}

function isSystem(m: ChatMessage): boolean {
  return !["text", "sticker", "image", "video", "audio", "file", "location", "template", "flex", "imagemap"].includes(m.kind);
}

function systemText(m: ChatMessage, t: (key: string, options?: Record<string, unknown>) => string): string {
  if (m.kind === "postback") {
    // The button's label (kept with the tap), else what LINE showed; never the button's internal data.
    const label = (m.body.label as string | undefined) || (m.body.displayText as string | undefined);
    if (label) return t("inbox.postback", { text: label });
    return m.text && !m.text.startsWith("enishi:") ? t("inbox.postback", { text: m.text }) : t("inbox.postback_unknown");
  }
  return t("inbox.system", { kind: m.kind, text: m.text ?? "" });
}

function MessageBody({ message: m, workspaceId }: { message: ChatMessage; workspaceId: number }) {
  const { t } = useTranslation();
  if (m.kind === "text") return <p className="chat-bubble">{m.text ?? String(m.body.text ?? "")}</p>;
  if (m.kind === "sticker") {
    const id = String(m.body.stickerId ?? "");
    return (
      <img
        className="chat-sticker"
        alt={t("inbox.sticker")}
        src={stickerImage(id)}
      />
    );
  }
  if (MEDIA_KINDS.has(m.kind)) return <MediaContent message={m} workspaceId={workspaceId} />;
  if (m.kind === "location") {
    return (
      <p className="chat-bubble">
        📍 {String(m.body.title ?? m.body.address ?? t("inbox.location"))}
        {m.body.address && m.body.title ? <span className="small muted"> {String(m.body.address)}</span> : null}
      </p>
    );
  }
  // Cards, flex and imagemaps: their alternative text, as LINE shows in the talk list.
  return <p className="chat-bubble chat-card">{String(m.body.altText ?? m.text ?? t(`inbox.kind`, { kind: m.kind }))}</p>;
}

const CONTENT_ATTEMPTS = 30;
const CONTENT_WAIT_MS = 1000;

/** A message's content; the server answers 202 while it is still fetching it from LINE: asked again a second later. */
async function fetchContent(url: string, signal: AbortSignal): Promise<Blob> {
  for (let left = CONTENT_ATTEMPTS; ; left--) {
    const r = await fetch(url, { credentials: "same-origin", signal });
    if (r.status === 202) {
      if (left <= 0) throw new ApiError(r.status, "not_ready", r.statusText, []);
      await pause(CONTENT_WAIT_MS, signal);
      continue;
    }
    if (!r.ok) throw new ApiError(r.status, "content_unavailable", r.statusText, []);
    return r.blob();
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** A picture, video, voice message or file: from LINE through the server (202 while it is still being fetched). */
function MediaContent({ message: m, workspaceId }: { message: ChatMessage; workspaceId: number }) {
  const { t } = useTranslation();
  const provider = (m.body.contentProvider ?? {}) as { type?: string; originalContentUrl?: string; previewImageUrl?: string };
  const external = provider.type === "external" && provider.originalContentUrl ? provider.originalContentUrl : null;
  const outbound = m.direction === "out" ? String(m.body.previewImageUrl ?? m.body.originalContentUrl ?? "") : "";
  const given = external ?? (outbound || null);
  const contentUrl = workspaceUrl(workspaceId, `/inbox/messages/${m.id}/content`);
  const content = useQuery(
    {
      queryKey: [...keyOfUrl(contentUrl), "content"],
      queryFn: ({ signal }) => fetchContent(contentUrl, signal),
      enabled: !given,
      staleTime: Infinity, // a message's content does not change
    },
    queryClient,
  );
  // The fetched content as a URL the page can show, for as long as it is shown.
  const [objectUrl, setObjectUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!content.data) return;
    const made = URL.createObjectURL(content.data);
    setObjectUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setObjectUrl(null);
    };
  }, [content.data]);
  const url = given ?? objectUrl;
  const failed = !given && content.isError;

  const label = t(`inbox.media.${m.kind}`);
  if (failed) return <p className="chat-bubble muted">{t("inbox.media_failed", { kind: label })}</p>;
  if (!url) return <p className="chat-bubble muted">{t("inbox.media_loading", { kind: label })}</p>;
  if (m.kind === "image") return <img className="chat-image" alt={label} src={url} />;
  if (m.kind === "video") return <video className="chat-image" controls src={url} aria-label={label} />;
  if (m.kind === "audio") return <audio controls src={url} aria-label={label} />;
  return (
    <a className="chat-bubble" href={url} download={String(m.body.fileName ?? "file")}>
      📎 {String(m.body.fileName ?? label)}
    </a>
  );
}
