// What the friend list, tab and bulk operation APIs send (core/enishi/api/audience_routes.py, bulk_routes.py).
import type { Localized } from "../../types";
import type { Segment } from "./segment";

export type FollowStatus = "following" | "blocked" | "all";

export interface Sort {
  by: string;
  direction: "asc" | "desc";
}

export interface ColumnDef {
  id: string;
  source: string;
  plugin: string;
  key: string;
  label: Localized;
  value_schema: Record<string, unknown>;
  sortable: boolean;
  shown_by_default: boolean;
}

export interface ColumnsInfo {
  default: string[];
  available: ColumnDef[];
  sorts: string[];
}

export interface FriendItem {
  id: number;
  display_name: string;
  /** 管理用の名前: shown instead of the LINE name when set. */
  name_override: string | null;
  picture_url: string | null;
  status: string;
  followed_at: string;
  last_inbound_at: string | null;
  columns: Record<string, unknown>;
}

export interface SearchResult {
  items: FriendItem[];
  next: string | null;
  columns: ColumnDef[];
}

export interface Tab {
  id: number;
  name: string;
  segment: Segment;
  exclude: Segment | null;
  status: FollowStatus;
  columns: string[] | null;
  sort: Sort;
  private: boolean;
  position: number;
  problems: { path: string; message: string }[];
}

export interface Filters {
  segment: Segment | null;
  status: FollowStatus;
  text: string;
  sort: Sort;
  columns: string[] | null;
}

export interface Operation {
  id: number;
  status: "queued" | "running" | "done" | "failed" | "cancelled";
  action: { type: string; type_version: number; config: Record<string, unknown> };
  target: { segment: Segment | null; status: string | null; saved_segment_id: number | null; selected: number | null };
  progress: {
    total: number | null;
    done: number;
    failed: number;
    remaining: number | null;
    changed: number;
    percent: number | null;
    chunks_done: number;
    chunks_failed: number;
  };
  cancel_requested: boolean;
  error: string | null;
  errors: { first_friend_id: number; last_friend_id: number; friends: number; error: string }[];
}

export interface ProfileValue {
  key: string;
  label: Localized;
  value_schema: Record<string, unknown>;
  value: unknown;
}

export interface Profile {
  id: number;
  line_user_id: string;
  display_name: string;
  name_override: string | null;
  picture_url: string | null;
  status_message: string | null;
  language: string | null;
  status: string;
  followed_at: string;
  blocked_at: string | null;
  last_inbound_at: string | null;
  fields: { source: string; plugin: string; label: Localized; values: ProfileValue[] }[];
}

/** The name staff see: the 管理用の名前 when set, else the LINE name ("" when LINE gave none). */
export function shownName(f: { display_name: string; name_override?: string | null }): string {
  return f.name_override || f.display_name;
}

export const FINISHED = new Set(["done", "failed", "cancelled"]);

/** The body of a search / count / export: what the server takes, nothing empty. */
export function filtersBody(f: Filters): Record<string, unknown> {
  const body: Record<string, unknown> = { status: f.status, sort: f.sort };
  if (f.segment) body.segment = f.segment;
  if (f.text.trim()) body.text = f.text.trim();
  if (f.columns) body.columns = f.columns;
  return body;
}

/** Whether the filters differ from what the tab keeps. */
export function tabChanged(tab: Tab, f: Filters): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const tabSegment = tab.segment && "all" in tab.segment && tab.segment.all.length === 0 ? null : tab.segment;
  return (
    !same(tabSegment, f.segment) ||
    tab.status !== f.status ||
    !same(tab.sort, f.sort) ||
    !same(tab.columns, f.columns)
  );
}

/** A column value as text: yes/no, lists, dates in the workspace's zone. */
export function cellText(value: unknown, schema: Record<string, unknown>, timezone: string, yes: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? yes : "";
  if (Array.isArray(value)) return value.map((v) => cellText(v, {}, timezone, yes)).join(", ");
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    return String(v.name ?? v.label ?? v.display_name ?? JSON.stringify(v));
  }
  if (schema.format === "date-time" && typeof value === "string") return formatTime(value, timezone);
  return String(value);
}

export function formatTime(iso: string | null, timezone: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("ja-JP", { timeZone: timezone, dateStyle: "medium", timeStyle: "short" });
}
