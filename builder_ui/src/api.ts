// A small client for the Enishi API: the session cookie travels by itself, changes carry the CSRF token.
import { problemText } from "./problems";

export interface ApiErrorItem {
  path?: string;
  message: string;
  node_id?: string | null;
}

export class ApiError extends Error {
  status: number;
  code: string;
  errors: ApiErrorItem[];

  constructor(status: number, code: string, message: string, errors: ApiErrorItem[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
  }
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The CSRF header for a change sent without this client (a file download by POST). */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { "X-CSRF-Token": csrfToken } : {};
}

export async function request<T>(
  method: string,
  url: string,
  body?: unknown,
  extraHeaders?: Record<string, string>,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const d = (data ?? {}) as { error?: string; message?: string; errors?: ApiErrorItem[] };
    throw new ApiError(response.status, d.error ?? "error", d.message ?? response.statusText, d.errors ?? []);
  }
  return data as T;
}

/** A POST that answers a file (a CSV export): its content and the file name the server suggests. */
export async function postForFile(url: string, body: unknown): Promise<{ blob: Blob; filename: string | null }> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(url, { method: "POST", headers, credentials: "same-origin", body: JSON.stringify(body) });
  if (!response.ok) {
    const d = ((await response.json().catch(() => null)) ?? {}) as { error?: string; message?: string; errors?: ApiErrorItem[] };
    throw new ApiError(response.status, d.error ?? "error", d.message ?? response.statusText, d.errors ?? []);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  return { blob: await response.blob(), filename: disposition.match(/filename="([^"]+)"/)?.[1] ?? null };
}

export const api = {
  /** `signal` lets a read no screen waits for any more be dropped (TanStack Query passes one). */
  get: <T>(url: string, signal?: AbortSignal) => request<T>("GET", url, undefined, undefined, signal),
  post: <T>(url: string, body?: unknown) => request<T>("POST", url, body ?? {}),
  put: <T>(url: string, body?: unknown) => request<T>("PUT", url, body ?? {}),
  patch: <T>(url: string, body?: unknown) => request<T>("PATCH", url, body ?? {}),
  del: <T>(url: string) => request<T>("DELETE", url),
};

export const workspaceUrl = (workspaceId: number, path = "") => `/api/workspaces/${workspaceId}${path}`;

/** An error as one line for the person: an API error's messages at their fields ("path: message / …"), or any
 * other error's text. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError && e.errors.length) return e.errors.map((x) => problemText(x)).join(" / ");
  return e instanceof Error ? e.message : String(e);
}
