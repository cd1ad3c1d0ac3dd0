// The inbox API's shapes (core/enishi/api/inbox_routes.py).

export interface FriendBrief {
  id: number;
  display_name: string;
  picture_url: string | null;
  status: string;
  /** 管理用の名前: shown instead of the LINE name when set. */
  name_override?: string | null;
}

export type Delivery = "pending" | "sending" | "accepted" | "failed" | "held";

export interface ChatMessage {
  /** 0 for a broadcast's message (not a message of the conversation: see broadcastHistory.ts) */
  id: number;
  /** a broadcast's message: its own key in the list */
  row_key?: string;
  direction: "in" | "out";
  kind: string;
  text: string | null;
  body: Record<string, unknown>;
  source: string;
  occurred_at: string;
  sent_by_user_id: number | null;
  sent_by_name: string | null;
  delivery: Delivery | null;
  delivery_error: string | null;
}

export interface Conversation {
  friend: FriendBrief;
  last_message: ChatMessage;
  unread: number;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface ReplyResult {
  request_id: number;
  kind: string;
  status: string;
  messages: ChatMessage[];
}
