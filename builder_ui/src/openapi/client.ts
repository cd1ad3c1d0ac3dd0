// The Enishi API with its types: paths, parameters, bodies and answers as the server's OpenAPI document declares
// them (schema.d.ts, generated from openapi.json by `npm run api-types`). A call to a path the server no longer
// has, with a body it does not take, or reading a field it no longer sends fails the type check.
//
// It behaves as the console's untyped client (../api.ts): the session cookie travels by itself, a change carries
// the CSRF token, and an answer that is not OK throws the same ApiError. Requests go out as `fetch(path, init)`
// with a same-origin path, as the untyped client sends them, so both go the same way (and tests fake both alike).
import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, csrfHeaders, type ApiErrorItem } from "../api";
import type { components, paths } from "./schema";

/** A named shape of the server's document: `Schema<"CatalogOut">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** Changes carry the CSRF token of the session (set at sign-in with setCsrfToken). */
const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method === "GET" || request.method === "HEAD") return undefined;
    for (const [name, value] of Object.entries(csrfHeaders())) request.headers.set(name, value);
    return request;
  },
};

/** An answer that is not OK becomes the ApiError the console's screens already handle. */
const errors: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return undefined;
    let data: unknown = null;
    try {
      const text = await response.clone().text();
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    const d = (data ?? {}) as { error?: string; message?: string; errors?: ApiErrorItem[] };
    throw new ApiError(response.status, d.error ?? "error", d.message ?? response.statusText, d.errors ?? []);
  },
};

/** The request openapi-fetch built, sent the way ../api.ts sends one: a same-origin path and its init. */
async function send(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : (await request.text()) || undefined;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return globalThis.fetch(url.pathname + url.search, {
    method: request.method,
    headers,
    credentials: "same-origin",
    body,
    signal: request.signal,
  });
}

export const client = createClient<paths>({
  // openapi-fetch builds a Request, which needs an absolute URL; `send` makes it a same-origin path again.
  baseUrl: globalThis.location?.origin ?? "http://localhost",
  headers: { Accept: "application/json" },
  fetch: send,
});
client.use(csrf, errors);

/** The answer of a call that succeeded: a failed one has thrown an ApiError already (see `errors`).
 * `const plugins = await answer(client.GET("/api/workspaces/{workspace_id}/plugins", { params }))` */
export async function answer<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  const { data } = await call;
  return data as T;
}
