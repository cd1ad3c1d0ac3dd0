import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, setCsrfToken } from "../api";
import { answer, client } from "./client";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  setCsrfToken(null);
  vi.restoreAllMocks();
});

describe("the typed client", () => {
  it("reads as the untyped client does: a same-origin path, the session cookie, no CSRF token", async () => {
    setCsrfToken("tok");
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(json([{ name: "tags" }]));
    const controller = new AbortController();
    const plugins = await answer(
      client.GET("/api/workspaces/{workspace_id}/plugins", {
        params: { path: { workspace_id: 5 } },
        signal: controller.signal,
      }),
    );
    expect(plugins).toEqual([{ name: "tags" }]);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/workspaces/5/plugins");
    expect(init).toMatchObject({ method: "GET", credentials: "same-origin", body: undefined });
    expect(init?.headers).toMatchObject({ accept: "application/json" });
    expect(init?.headers).not.toHaveProperty("x-csrf-token");
  });

  it("sends a change with its JSON body and the CSRF token", async () => {
    setCsrfToken("tok");
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(json({ name: "tags", enabled: false }));
    await answer(
      client.PUT("/api/workspaces/{workspace_id}/plugins/{name}", {
        params: { path: { workspace_id: 5, name: "tags" } },
        body: { enabled: false },
      }),
    );
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/workspaces/5/plugins/tags");
    expect(init?.method).toBe("PUT");
    expect(JSON.parse(String(init?.body))).toEqual({ enabled: false });
    expect(init?.headers).toMatchObject({ "x-csrf-token": "tok", "content-type": "application/json" });
  });

  it("keeps the query string", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(json({ items: [], next_cursor: null }));
    await client.GET("/api/workspaces/{workspace_id}/audit", {
      params: { path: { workspace_id: 5 }, query: { limit: 20 } },
    });
    expect(fetchMock.mock.calls[0][0]).toBe("/api/workspaces/5/audit?limit=20");
  });

  it("throws the console's ApiError for an answer that is not OK", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(
      json({ status: 422, error: "invalid", message: "入力内容に誤りがあります", errors: [{ path: "$.enabled", message: "x" }] }, 422),
    );
    const call = client.PUT("/api/workspaces/{workspace_id}/plugins/{name}", {
      params: { path: { workspace_id: 5, name: "tags" } },
      body: { enabled: true },
    });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: "invalid",
      message: "入力内容に誤りがあります",
      errors: [{ path: "$.enabled", message: "x" }],
    });
  });

  it("names the status when the failed answer has no JSON", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("Bad Gateway", { status: 502, statusText: "Bad Gateway" }));
    const error = await client.GET("/api/plugins").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: "error", message: "Bad Gateway", errors: [] });
  });
});
