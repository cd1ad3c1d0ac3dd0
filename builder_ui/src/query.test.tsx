import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { ConfigForm } from "./forms/ConfigForm";
import { lookupsOf } from "./forms/lookups.fixture";
import { forgetLookups, LookupContext } from "./forms/pickers";
import { shouldRetry } from "./query";
import { NODE_TYPES } from "./test/fixtures";

const tagType = NODE_TYPES.find((t) => t.key === "tags.add_tag")!;

afterEach(() => vi.restoreAllMocks());

describe("server state", () => {
  it("tries a read again after a network error or a 5xx, never after a refusal that stays", () => {
    expect(shouldRetry(0, new TypeError("Failed to fetch"))).toBe(true);
    expect(shouldRetry(1, new ApiError(503, "error", "unavailable", []))).toBe(true);
    expect(shouldRetry(0, new ApiError(429, "rate_limited", "slow down", []))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 422]) {
      expect(shouldRetry(0, new ApiError(status, "error", "no", []))).toBe(false);
    }
    expect(shouldRetry(2, new TypeError("Failed to fetch"))).toBe(false); // two more tries at most
  });

  it("refreshes the pickers on screen when a list changed, without leaving them empty meanwhile", async () => {
    let tags = [{ id: 1, name: "VIP", color: "#000000" }];
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify(tags), { status: 200 }));
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
        <ConfigForm nodeType={tagType} config={{}} onChange={vi.fn()} />
      </LookupContext.Provider>,
    );
    expect(await screen.findByLabelText("VIP")).toBeTruthy();
    tags = [...tags, { id: 2, name: "新規", color: "#ffffff" }];
    forgetLookups(); // what a settings page does after adding a tag
    expect(await screen.findByLabelText("新規")).toBeTruthy();
    expect(screen.getByLabelText("VIP")).toBeTruthy();
    expect(fetchMock).toHaveBeenCalledTimes(2);
    fireEvent.click(screen.getByLabelText("新規"));
    await waitFor(() => expect((screen.getByLabelText("新規") as HTMLInputElement).checked).toBe(true));
  });
});
