// Live inbox updates: one EventSource per workspace (GET …/inbox/stream), shared by every component that listens.
// The server sends which conversations got new messages; listeners fetch what they show. EventSource reconnects
// by itself (resuming with Last-Event-ID); when the browser gives up (the server refused), we open it again after
// a pause, from the last event seen, so nothing is missed.
import { workspaceUrl } from "../../api";

export interface ConversationUpdate {
  friend_id: number;
  last_message_id: number;
  new_messages: number;
  new_inbound: number;
}

export interface InboxEvent {
  cursor: number;
  updates: ConversationUpdate[];
}

type Listener = (event: InboxEvent) => void;

interface Channel {
  listeners: Set<Listener>;
  source: EventSource | null;
  cursor: number | null;
  retryTimer: ReturnType<typeof setTimeout> | null;
  retryDelay: number;
}

const channels = new Map<number, Channel>();
const MAX_RETRY_DELAY = 30_000;

export function streamUrl(workspaceId: number, after: number | null): string {
  const base = workspaceUrl(workspaceId, "/inbox/stream");
  return after === null ? base : `${base}?after=${after}`;
}

function open(workspaceId: number, channel: Channel): void {
  if (typeof EventSource === "undefined") return; // (tests without a stand-in)
  const source = new EventSource(streamUrl(workspaceId, channel.cursor), { withCredentials: true });
  channel.source = source;
  const onCursor = (e: MessageEvent) => {
    const data = JSON.parse(String(e.data)) as InboxEvent;
    channel.cursor = data.cursor;
    channel.retryDelay = 1000;
    return data;
  };
  source.addEventListener("ready", (e) => {
    const data = onCursor(e as MessageEvent);
    // After a reconnect something may have changed while we were away: listeners refresh.
    for (const listener of channel.listeners) listener({ cursor: data.cursor, updates: [] });
  });
  source.addEventListener("conversations", (e) => {
    const data = onCursor(e as MessageEvent);
    for (const listener of channel.listeners) listener(data);
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    source.close();
    channel.source = null;
    if (channel.listeners.size === 0) return;
    channel.retryTimer = setTimeout(() => {
      channel.retryTimer = null;
      if (channel.listeners.size > 0) open(workspaceId, channel);
    }, channel.retryDelay);
    channel.retryDelay = Math.min(channel.retryDelay * 2, MAX_RETRY_DELAY);
  };
}

/** Listen to the workspace's inbox; returns the function that stops listening. */
export function subscribeInbox(workspaceId: number, listener: Listener): () => void {
  let channel = channels.get(workspaceId);
  if (!channel) {
    channel = { listeners: new Set(), source: null, cursor: null, retryTimer: null, retryDelay: 1000 };
    channels.set(workspaceId, channel);
  }
  channel.listeners.add(listener);
  if (!channel.source && !channel.retryTimer) open(workspaceId, channel);
  const c = channel;
  return () => {
    c.listeners.delete(listener);
    if (c.listeners.size > 0) return;
    c.source?.close();
    c.source = null;
    if (c.retryTimer) clearTimeout(c.retryTimer);
    c.retryTimer = null;
    channels.delete(workspaceId);
  };
}
