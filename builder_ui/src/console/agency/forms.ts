// The agency view's forms as data: what a plan form sends, and the API's field errors by field.
import type { ApiErrorItem } from "../../api";

export const TIERS = ["start", "standard", "pro"] as const;

export interface InstalledPlugin {
  name: string;
  status: string;
  title: { ja: string; en?: string } | null;
  tier: string | null;
}

export interface Plan {
  id: number;
  key: string;
  name_ja: string;
  name_en: string;
  tier: string;
  allowed_plugins: string[] | null;
  staff_seats: number | null;
  friends_limit: number | null;
  monthly_messages: number | null;
}

/** The plan form's state: numbers as typed (empty = unlimited), plugins by tier or a list. */
export interface PlanDraft {
  key: string;
  name_ja: string;
  name_en: string;
  tier: string;
  byTier: boolean;
  allowed_plugins: string[];
  staff_seats: string;
  friends_limit: string;
  monthly_messages: string;
}

export const LIMITS = ["monthly_messages", "staff_seats", "friends_limit"] as const;
type Limit = (typeof LIMITS)[number];

export function draftOf(plan: Plan | null): PlanDraft {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
  return {
    key: plan?.key ?? "",
    name_ja: plan?.name_ja ?? "",
    name_en: plan?.name_en ?? "",
    tier: plan?.tier ?? "start",
    byTier: plan ? plan.allowed_plugins === null : true,
    allowed_plugins: plan?.allowed_plugins ?? [],
    staff_seats: n(plan?.staff_seats),
    friends_limit: n(plan?.friends_limit),
    monthly_messages: n(plan?.monthly_messages),
  };
}

export type FieldErrors = Record<string, string[]>;

/**
 * The body to send, or the problems the form can see itself (a limit that is not a whole number ≥ 0). The
 * server checks the rest (key format, names, tier, installed plugins) and answers with the same paths.
 */
export function planBody(
  draft: PlanDraft,
  creating: boolean,
): { body: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: Record<string, unknown> = {
    name_ja: draft.name_ja.trim(),
    name_en: draft.name_en.trim(),
    tier: draft.tier,
    allowed_plugins: draft.byTier ? null : draft.allowed_plugins,
  };
  if (creating) body.key = draft.key.trim();
  for (const limit of LIMITS) {
    const raw = draft[limit as Limit].trim();
    if (raw === "") body[limit] = null;
    else if (/^\d+$/.test(raw)) body[limit] = Number(raw);
    else errors[`$.${limit}`] = ["0以上の整数で入力してください / a whole number, 0 or more"];
  }
  return { body, errors };
}

/** The API's errors keyed by the field they name ("$.allowed_plugins[2]" counts for "$.allowed_plugins"). */
export function fieldErrors(errors: ApiErrorItem[]): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) {
    const path = (e.path ?? "$").replace(/\[\d+\]$/, "");
    (out[path] ??= []).push(e.message);
  }
  return out;
}
