// The composer's rules, apart from the screen: what is sent as the target, where the server's problems belong,
// and whether the broadcast may go.
import type { ApiErrorItem } from "../../api";
import type { Segment } from "../friends/SegmentBuilder";
import type { Estimate, Target, TestRecipient } from "./types";

export type AudienceKind = "all" | "segment" | "saved";

export interface Audience {
  kind: AudienceKind;
  segment: Segment | null;
  savedId: number | null;
  /** Friends left out, whatever the audience. */
  exclude: Segment | null;
}

export const EVERYONE: Audience = { kind: "all", segment: null, savedId: null, exclude: null };

function meaningful(segment: Segment | null): Segment | null {
  if (!segment) return null;
  if ("all" in segment && segment.all.length === 0) return null;
  return segment;
}

export function targetOf(audience: Audience): Target {
  const target: Target = {};
  if (audience.kind === "segment" && meaningful(audience.segment)) target.segment = audience.segment;
  if (audience.kind === "saved" && audience.savedId !== null) target.saved_segment_id = audience.savedId;
  if (meaningful(audience.exclude)) target.exclude = audience.exclude;
  return target;
}

/** The audience is complete enough to count (a segment chosen is not empty, a saved segment is picked). */
export function audienceReady(audience: Audience): boolean {
  if (audience.kind === "saved") return audience.savedId !== null;
  if (audience.kind === "segment") return meaningful(audience.segment) !== null;
  return true;
}

export interface SortedProblems {
  messages: ApiErrorItem[];
  /** paths from the segment itself ("$.all[0].config…"), as the segment builder takes them */
  segment: ApiErrorItem[];
  exclude: ApiErrorItem[];
  other: ApiErrorItem[];
}

function under(path: string | undefined, prefix: string): boolean {
  return path === prefix || !!path?.startsWith(prefix + ".") || !!path?.startsWith(prefix + "[");
}

export function sortProblems(errors: ApiErrorItem[]): SortedProblems {
  const sorted: SortedProblems = { messages: [], segment: [], exclude: [], other: [] };
  for (const e of errors) {
    if (under(e.path, "$.messages")) sorted.messages.push(e);
    else if (under(e.path, "$.target.segment")) sorted.segment.push({ ...e, path: "$" + e.path!.slice("$.target.segment".length) });
    else if (under(e.path, "$.target.exclude")) sorted.exclude.push({ ...e, path: "$" + e.path!.slice("$.target.exclude".length) });
    else sorted.other.push(e);
  }
  return sorted;
}

export type SendBlock = "no_recipients" | "over_quota" | "partial_unchecked" | null;

/** Why a broadcast sent now cannot go yet (a scheduled one is checked again when it starts). */
export function sendBlock(estimate: Estimate | null, scheduled: boolean, allowPartial: boolean): SendBlock {
  if (!estimate || scheduled) return null;
  if (estimate.recipients === 0) return "no_recipients";
  if (estimate.fits) return null;
  if (estimate.sendable === 0) return "over_quota";
  return allowPartial ? null : "partial_unchecked";
}

/** "2026-11-28T10:00" from a datetime-local input, as the server takes a wall-clock time in the workspace. */
export function scheduledAt(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) return null;
  return `${local}:00`;
}

/** The audience a stored target stands for (a draft opened again). */
export function audienceOf(target: Target | null | undefined): Audience {
  const exclude = target?.exclude ?? null;
  if (target?.saved_segment_id) return { kind: "saved", segment: null, savedId: target.saved_segment_id, exclude };
  if (target?.segment) return { kind: "segment", segment: target.segment, savedId: null, exclude };
  return { ...EVERYONE, exclude };
}

/** Where a test send goes: the friend picked, or the simulated user who is not a friend yet. */
export function testRecipient(picked: TestRecipient | null): { friend_id: number } | { user_line_id: string } | null {
  if (!picked) return null;
  return picked.friend_id !== null ? { friend_id: picked.friend_id } : { user_line_id: picked.user_line_id };
}
