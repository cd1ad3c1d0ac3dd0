// The broadcasts a friend received, shown in their talk among the conversation's messages: read from the
// broadcast's records (GET …/inbox/friends/{id}/broadcasts), never stored as messages, so they take no part in
// read markers or the conversation's paging; they are placed by time where they belong.
import { useQuery } from "@tanstack/react-query";
import { api, workspaceUrl } from "../../api";
import { keyOfUrl, queryClient } from "../../query";
import type { ChatMessage, Delivery } from "./types";

const LOOK_AGAIN_MS = 30_000;

export interface ReceivedBroadcast {
  key: string;
  broadcast_id: number;
  broadcast_name: string;
  kind: string;
  text: string | null;
  body: Record<string, unknown>;
  occurred_at: string;
  delivery: Delivery;
}

/** ``since``: the oldest message shown while older ones are still to load (else every broadcast received). */
export function useReceivedBroadcasts(workspaceId: number, friendId: number, since: string | null, enabled: boolean) {
  const url = workspaceUrl(workspaceId, `/inbox/friends/${friendId}/broadcasts${since ? `?since=${encodeURIComponent(since)}` : ""}`);
  return useQuery(
    {
      queryKey: keyOfUrl(url),
      queryFn: ({ signal }) => api.get<ReceivedBroadcast[]>(url, signal),
      // Only a list is a list of broadcasts (whatever else answers, the talk still shows).
      select: (data: unknown) => (Array.isArray(data) ? (data as ReceivedBroadcast[]) : []),
      enabled,
      refetchInterval: LOOK_AGAIN_MS,
      staleTime: 0,
    },
    queryClient,
  );
}

/** A broadcast's message as an outgoing message of the talk, marked with the broadcast's name. */
export function asChatMessage(b: ReceivedBroadcast, label: string): ChatMessage {
  return {
    id: 0,
    row_key: b.key,
    direction: "out",
    kind: b.kind,
    text: b.text,
    body: b.body,
    source: "broadcast",
    occurred_at: b.occurred_at,
    sent_by_user_id: null,
    sent_by_name: `${label}「${b.broadcast_name}」`,
    delivery: b.delivery,
    delivery_error: null,
  };
}

/** The conversation's messages (in their order) with the broadcasts placed by time among them. */
export function interleave(messages: ChatMessage[], broadcasts: ChatMessage[]): ChatMessage[] {
  const pending = [...broadcasts].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at) || (a.row_key ?? "").localeCompare(b.row_key ?? ""));
  const out: ChatMessage[] = [];
  let next = 0;
  for (const m of messages) {
    const at = Date.parse(m.occurred_at);
    while (next < pending.length && Date.parse(pending[next].occurred_at) <= at) out.push(pending[next++]);
    out.push(m);
  }
  return [...out, ...pending.slice(next)];
}
