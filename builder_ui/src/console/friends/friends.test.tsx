import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { lookupsOf } from "../../forms/lookups.fixture";
import { forgetLookups } from "../../forms/pickers";
import { CatalogProvider } from "../../platform/catalog";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import { inConsole } from "../../test/router";
import { BulkPanel, progressPercent } from "./BulkPanel";
import { cellText, filtersBody, tabChanged, type Filters, type Operation, type Tab } from "./types";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "店", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: [],
  enabled_plugins: ["tags"],
};

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  forgetLookups();
});

const filters: Filters = { segment: null, status: "following", text: "", sort: { by: "id", direction: "desc" }, columns: null };

describe("friend list logic", () => {
  it("sends only the filters that are set", () => {
    expect(filtersBody(filters)).toEqual({ status: "following", sort: { by: "id", direction: "desc" } });
    const segment = { all: [{ type: "tags.has_tags", config: { tag_ids: [1] } }] };
    expect(filtersBody({ ...filters, segment, text: "  花子 ", columns: ["tags.tags.tags"] })).toEqual({
      status: "following",
      sort: { by: "id", direction: "desc" },
      segment,
      text: "花子",
      columns: ["tags.tags.tags"],
    });
  });

  it("tells when the filters differ from the open tab", () => {
    const tab: Tab = {
      id: 1,
      name: "全員",
      segment: { all: [] },
      exclude: null,
      status: "following",
      columns: null,
      sort: { by: "id", direction: "desc" },
      private: false,
      position: 0,
      problems: [],
    };
    expect(tabChanged(tab, filters)).toBe(false);
    expect(tabChanged(tab, { ...filters, text: "検索だけ" })).toBe(false);
    expect(tabChanged(tab, { ...filters, status: "all" })).toBe(true);
    expect(tabChanged(tab, { ...filters, segment: { any: [{ type: "x.y", config: {} }] } })).toBe(true);
  });

  it("shows column values as text", () => {
    expect(cellText(true, { type: "boolean" }, "Asia/Tokyo", "✓")).toBe("✓");
    expect(cellText(false, { type: "boolean" }, "Asia/Tokyo", "✓")).toBe("");
    expect(cellText(["VIP", "新規"], {}, "Asia/Tokyo", "✓")).toBe("VIP, 新規");
    expect(cellText({ id: 2, label: "要対応", color: "#ff0000" }, {}, "Asia/Tokyo", "✓")).toBe("要対応");
    expect(cellText({ user_id: 2, display_name: "佐藤" }, {}, "Asia/Tokyo", "✓")).toBe("佐藤");
    expect(cellText("2026-01-01T00:00:00+00:00", { format: "date-time" }, "Asia/Tokyo", "✓")).toContain("9:00");
  });
});

const addTag: NodeTypeDef = {
  key: "tags.add_tag",
  kind: "action",
  version: 1,
  plugin: "tags",
  label: { ja: "タグを付ける", en: "Add tags" },
  description: null,
  config_schema: {
    type: "object",
    properties: { tag_ids: { type: "array", items: { type: "integer" }, title: "タグ / Tags" } },
    required: ["tag_ids"],
  },
  ui_schema: {},
  inputs: [],
  outputs: [],
  allowed_targets: null,
  deprecated: false,
};

function operation(status: Operation["status"], percent: number | null, done: number): Operation {
  return {
    id: 7,
    status,
    action: { type: "tags.add_tag", type_version: 1, config: { tag_ids: [1] } },
    target: { segment: null, status: null, saved_segment_id: null, selected: 2 },
    progress: { total: 2, done, failed: 0, remaining: 2 - done, changed: done, percent, chunks_done: done, chunks_failed: 0 },
    cancel_requested: false,
    error: null,
    errors: [],
  };
}

describe("bulk operations", () => {
  it("shows 0 % before the friends are counted and 100 % when done", () => {
    expect(progressPercent(operation("queued", null, 0))).toBe(0);
    expect(progressPercent(operation("running", 50, 1))).toBe(50);
    expect(progressPercent(operation("done", 100, 2))).toBe(100);
  });

  it("queues the action for the selection and follows its progress to the report", async () => {
    const posted: unknown[] = [];
    const polls = [operation("running", 50, 1), operation("done", 100, 2)];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      let body: unknown = {};
      if (url.endsWith("/bulk-operations/actions")) body = [addTag];
      else if (url.endsWith("/catalog")) body = { node_types: [], reports: [], lookups: lookupsOf("tags") };
      else if (url.endsWith("/tags")) body = [{ id: 1, name: "VIP", color: "#f00" }];
      else if (url.endsWith("/bulk-operations") && init?.method === "POST") {
        posted.push(JSON.parse(String(init.body)));
        return new Response(JSON.stringify(operation("queued", null, 0)), { status: 202 });
      } else if (url.endsWith("/bulk-operations/7")) body = polls.shift() ?? operation("done", 100, 2);
      return new Response(JSON.stringify(body), { status: 200 });
    });
    const finished = vi.fn();
    render(
      <CatalogProvider workspaceId={access.workspace.id}>
        <BulkPanel access={access} target={{ friend_ids: [4, 5] }} size={2} onFinished={finished} />
      </CatalogProvider>,
      inConsole,
    );
    // The action is picked in the select's list (the actions the workspace offers, once read).
    fireEvent.mouseDown(screen.getByRole("combobox", { name: "操作" }));
    fireEvent.click(await screen.findByText("タグを付ける", { selector: ".ant-select-item-option-content" }));
    fireEvent.click(await screen.findByRole("checkbox", { name: /VIP/ }));
    fireEvent.click(screen.getByRole("button", { name: "実行" }));
    await waitFor(() =>
      expect(posted).toEqual([{ action: { type: "tags.add_tag", config: { tag_ids: [1] } }, target: { friend_ids: [4, 5] } }]),
    );
    const bar = await screen.findByRole("progressbar", { name: "進捗" });
    await waitFor(() => expect(bar.getAttribute("value")).toBe("100"), { timeout: 5000 });
    expect(screen.getByText("完了")).toBeTruthy();
    expect(finished).toHaveBeenCalledTimes(1);
    const report = screen.getByLabelText("結果");
    expect([...report.querySelectorAll("dd")].map((d) => d.textContent)).toEqual(["2", "2", "2", "0"]);
  });
});
