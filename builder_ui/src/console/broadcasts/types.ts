// The broadcast API's shapes (core/enishi/api/broadcast_routes.py).
import type { Segment } from "../friends/SegmentBuilder";

export type BroadcastStatus = "scheduled" | "sending" | "paused" | "completed" | "cancelled" | "failed";
export type Message = Record<string, unknown>;

export interface Target {
  segment?: Segment | null;
  exclude?: Segment | null;
  saved_segment_id?: number | null;
}

export interface Warning {
  code: string;
  message: string;
}

export interface Estimate {
  recipients: number;
  delivery: "multicast" | "push";
  requests: number;
  sendable: number;
  fits: boolean;
  quota: {
    known: boolean;
    type: string | null;
    limit: number | null;
    consumption: number | null;
    reserved: number;
    remaining: number | null;
    stale: boolean;
    held: boolean;
    error: string | null;
  };
  plan: {
    key: string;
    name: { ja: string; en: string };
    monthly_messages: number | null;
    used: number | null;
    reserved: number;
    remaining: number | null;
  };
  warnings: Warning[];
  audience_note: { ja: string; en: string };
}

export interface Progress {
  total: number | null;
  written: number;
  sent: number;
  failed: number;
  cancelled: number;
  remaining: number;
  percent: number;
  rate_per_second: number | null;
  estimated_finish_at: string | null;
}

export interface Broadcast {
  id: number;
  name: string;
  status: BroadcastStatus;
  delivery: "multicast" | "push";
  messages: Message[];
  target: Target;
  allow_partial: boolean;
  scheduled_at: string | null;
  send_at: string;
  send_at_local: string;
  timezone: string;
  audience_note: { ja: string; en: string };
  estimated_recipients: number;
  limited_to: number | null;
  progress: Progress;
  held: boolean;
  error: string | null;
  created_at: string;
  started_at: string | null;
  paused_at: string | null;
  finished_at: string | null;
}

export interface Recipient {
  position: number;
  friend_id: number;
  display_name: string | null;
  status: "waiting" | "sending" | "held" | "sent" | "failed" | "cancelled" | "skipped";
  error: string | null;
  sent_at: string | null;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Draft {
  id: number;
  name: string;
  messages: Message[];
  target: Target;
  scheduled_at: string | null;
  /** "2030-01-02T09:30", the workspace's wall-clock time, as the composer's time field takes it */
  scheduled_at_local: string | null;
  allow_partial: boolean;
  created_at: string;
  updated_at: string;
}

/** Someone a test send (or the preview's example) can be: a following friend, or a simulated user of the emulator. */
export interface TestRecipient {
  friend_id: number | null;
  user_line_id: string;
  name: string;
  simulated: boolean;
}

export interface QuotaState {
  quota: Estimate["quota"];
  plan: Estimate["plan"];
}
