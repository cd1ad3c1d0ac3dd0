import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { lookupsOf } from "../../forms/lookups.fixture";
import { forgetLookups, LookupContext } from "../../forms/pickers";
import type { CatalogResource } from "../contract";
import {
  changeBody,
  choiceTitles,
  errorSchemaOf,
  formatDateTime,
  formatText,
  formDataOf,
  inPlainJapanese,
  looseErrors,
  pageUrl,
  readPage,
} from "./format";
import { ResourcePage } from "./ResourcePage";
import { inConsole } from "../../test/router";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const MARKS: CatalogResource = {
  name: "response_marks.marks",
  plugin: "response_marks",
  title: { ja: "対応マーク", en: "Response marks" },
  description: { ja: "対応状況のマークです。", en: "Marks." },
  group: "data",
  order: 20,
  path: "/response_marks/marks",
  item_path: "/response_marks/marks/{id}",
  paged: false,
  id_field: "id",
  label_field: "label",
  columns: [
    { field: "label", title: { ja: "名前", en: "Name" }, format: "text", lookup: null },
    { field: "color", title: { ja: "色", en: "Color" }, format: "color", lookup: null },
    { field: "kind", title: { ja: "種類", en: "Kind" }, format: "text", lookup: null },
    { field: "friend_count", title: { ja: "友だち数", en: "Friends" }, format: "number", lookup: null },
    { field: "urgent", title: { ja: "急ぎ", en: "Urgent" }, format: "boolean", lookup: null },
    { field: "tag_id", title: { ja: "タグ", en: "Tag" }, format: "lookup", lookup: "tags.tags" },
  ],
  schema: {
    type: "object",
    properties: {
      label: { type: "string", title: "名前 / Name", minLength: 1 },
      color: { type: "string", title: { ja: "色", en: "Color" }, default: "#e0245e" },
      kind: { type: "string", title: "種類 / Kind", oneOf: [{ const: "todo", title: "未対応 / To do" }, { const: "done", title: "対応済 / Done" }] },
    },
    required: ["label"],
    additionalProperties: false,
  },
  ui_schema: { "ui:order": ["label", "color", "kind"] },
  create: true,
  update: "patch",
  delete: true,
  permission: "response_marks.manage",
};

const ROWS = [
  { id: 1, label: "要対応", color: "#ff0000", kind: "todo", friend_count: 1234, urgent: true, tag_id: 7 },
  { id: 2, label: "対応済", color: "#00ff00", kind: "done", friend_count: 0, urgent: false, tag_id: null },
];

function page(permissions = ["response_marks.manage"], resource = MARKS) {
  return render(
    <LookupContext.Provider value={{ workspaceId: 5, lookups: lookupsOf("tags") }}>
      <ResourcePage resource={resource} workspaceId={5} permissions={permissions} />
    </LookupContext.Provider>,
    inConsole,
  );
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("resource formats", () => {
  it("reads pages, and follows a paged list with its cursor", () => {
    expect(pageUrl("/messages/templates?limit=200", "abc")).toBe("/messages/templates?limit=200&after=abc");
    expect(pageUrl("/x", null)).toBe("/x");
    expect(readPage({ ...MARKS, paged: true }, { items: [{ id: 1 }], next: "n" })).toEqual({ rows: [{ id: 1 }], next: "n" });
    expect(readPage(MARKS, [{ id: 1 }])).toEqual({ rows: [{ id: 1 }], next: null });
  });

  it("shows a choice by its title, never its raw value", () => {
    const titles = choiceTitles(MARKS, "kind", "ja");
    expect(formatText("todo", titles, "ja")).toBe("未対応");
    expect(formatText(["todo", "done"], titles, "ja")).toBe("未対応、対応済");
    expect(formatText("done", choiceTitles(MARKS, "kind", "en"), "en")).toBe("Done");
    const withNames = { ...MARKS, schema: { properties: { size: { enum: ["s", "l"] } } }, ui_schema: { size: { "ui:enumNames": ["小 / Small", "大 / Large"] } } };
    expect(formatText("l", choiceTitles(withNames, "size", "ja"), "ja")).toBe("大");
  });

  it("writes a date-time in the person's language", () => {
    expect(formatDateTime("2026-03-01T09:30:00Z", "ja", "Asia/Tokyo")).toBe("2026/03/01 18:30");
    expect(formatDateTime("2026-03-01T09:30:00Z", "en", "UTC")).toContain("Mar 1, 2026");
    expect(formatDateTime(null, "ja")).toBe("");
  });

  it("says at the field in Japanese what the server wrote there only in English", () => {
    const errors = { message: "同じ名前の定型文が既にあります", fields: { name: ["already taken"] } };
    expect(inPlainJapanese(errors, "ja", ["name"])).toEqual({ message: null, fields: { name: ["同じ名前の定型文が既にあります"] } });
    expect(inPlainJapanese(errors, "en", ["name"])).toBe(errors);
    expect(inPlainJapanese(errors, "ja", ["label"])).toBe(errors);
    const both = { message: "入力内容に誤りがあります", fields: { name: ["名前が長すぎます"] } };
    expect(inPlainJapanese(both, "ja", ["name"])).toBe(both);
  });

  it("edits only what the schema has fields for, at every depth", () => {
    const pools = {
      ...MARKS,
      schema: {
        type: "object",
        properties: {
          name: { type: "string" },
          members: { type: "array", items: { type: "object", properties: { user_id: { type: "integer" }, weight: { type: "integer" } } } },
        },
      },
    };
    const row = { id: 3, name: "受付", turns: 4, members: [{ user_id: 2, display_name: "次郎", weight: 2, is_staff: true }] };
    expect(formDataOf(pools, row)).toEqual({ name: "受付", members: [{ user_id: 2, weight: 2 }] });
  });

  it("sends only what changed on PATCH, and places the server's messages by field", () => {
    expect(changeBody("patch", { label: "a", color: "#000000" }, { label: "b", color: "#000000" })).toEqual({ label: "b" });
    expect(changeBody("put", { label: "a" }, { label: "a" })).toEqual({ label: "a" });
    expect(errorSchemaOf({ label: ["x"], "members.0.weight": ["y"], "": ["z"] })).toEqual({
      label: { __errors: ["x"] },
      members: { 0: { weight: { __errors: ["y"] } } },
    });
    expect(looseErrors({ label: ["x"], plan: ["p"], "": ["z"] }, ["label"])).toEqual(["p", "z"]);
  });
});

describe("a resource's page", () => {
  it("lists rows by their columns' formats", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      String(url).endsWith("/tags") ? json([{ id: 7, name: "常連", color: "#000000" }]) : json(ROWS),
    );
    page();
    const table = await screen.findByRole("table", { name: "対応マーク" });
    const first = table.querySelector('tr[data-row="要対応"]') as HTMLElement;
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["名前", "色", "種類", "友だち数", "急ぎ", "タグ", "操作"]);
    await waitFor(() => expect(first.textContent).toContain("常連"));
    expect(first.textContent).toContain("未対応");
    expect(first.textContent).toContain("1,234");
    expect(first.textContent).toContain("はい");
    expect(first.textContent).not.toContain("todo");
    expect(first.querySelector(".swatch")).not.toBeNull();
    expect(table.querySelector('tr[data-row="対応済"]')!.textContent).toContain("いいえ");
    expect(screen.getByText("対応状況のマークです。")).toBeTruthy();
  });

  it("hides the write controls without the resource's permission", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json(ROWS));
    page([]);
    await screen.findByRole("table", { name: "対応マーク" });
    expect(screen.queryByRole("button", { name: "追加" })).toBeNull();
    expect(screen.queryByRole("button", { name: "「要対応」を編集" })).toBeNull();
    expect(screen.queryByRole("button", { name: "「要対応」を削除" })).toBeNull();
  });

  it("creates a row from the schema's form and shows the server's objection at its field", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      if (init?.method === "POST") {
        return json(
          {
            error: "invalid",
            message: "入力内容に誤りがあります / invalid input",
            errors: [
              { path: "$.label", message: "同じ名前のマークがあります / already taken" },
              { path: "$", message: "マークは20個までです / at most 20 marks" },
            ],
          },
          422,
        );
      }
      return json(ROWS);
    });
    page();
    fireEvent.click(await screen.findByRole("button", { name: "追加" }));
    const form = screen.getByRole("form", { name: "対応マークを追加" });
    // The form's own check first, in words (the field's title, no property key), as the server says it.
    fireEvent.click(within(form).getByRole("button", { name: "作成" }));
    const label = await waitFor(() => form.querySelector('[data-field="label"]') as HTMLElement);
    expect(label.textContent).toBe("名前を入力してください");
    // in the field's own form item, in its error state
    expect(label.closest(".ant-form-item")!.classList.contains("ant-form-item-has-error")).toBe(true);
    expect(label.closest(".ant-form-item")!.querySelector("label")!.textContent).toBe("名前");
    fireEvent.change(within(form).getByLabelText(/名前/), { target: { value: "要対応" } });
    fireEvent.mouseDown(within(form).getByRole("combobox", { name: /種類/ }));
    fireEvent.click(await screen.findByText("対応済", { selector: ".ant-select-item-option-content" }));
    fireEvent.click(within(form).getByRole("button", { name: "作成" }));
    await waitFor(() => expect(form.querySelector('[data-field="label"]')?.textContent).toBe("同じ名前のマークがあります"));
    expect(within(form).getAllByRole("alert").map((a) => a.textContent).join(" ")).toContain("マークは20個までです");
    expect(form.textContent).not.toContain("$");
    const [url, init] = fetchMock.mock.calls.find(([, i]) => i?.method === "POST")!;
    expect(url).toBe("/api/workspaces/5/response_marks/marks");
    expect(JSON.parse(String(init?.body))).toEqual({ label: "要対応", color: "#e0245e", kind: "done" });
  });

  it("edits a row by sending what changed, and deletes one after a confirmation naming it", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) =>
      init?.method === "PATCH" || init?.method === "DELETE" ? new Response(null, { status: 204 }) : json(ROWS),
    );
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    page();
    fireEvent.click(await screen.findByRole("button", { name: "「要対応」を編集" }));
    const form = screen.getByRole("form", { name: "「要対応」を編集" });
    fireEvent.change(within(form).getByLabelText(/名前/), { target: { value: "至急" } });
    fireEvent.click(within(form).getByRole("button", { name: "保存" }));
    await waitFor(() => expect(screen.queryByRole("form")).toBeNull());
    const [url, init] = fetchMock.mock.calls.find(([, i]) => i?.method === "PATCH")!;
    expect(url).toBe("/api/workspaces/5/response_marks/marks/1");
    expect(JSON.parse(String(init?.body))).toEqual({ label: "至急" });

    fireEvent.click(screen.getByRole("button", { name: "「対応済」を削除" }));
    expect(confirm).toHaveBeenCalledWith("「対応済」を削除しますか？");
    await waitFor(() => expect(fetchMock.mock.calls.some(([u, i]) => i?.method === "DELETE" && u === "/api/workspaces/5/response_marks/marks/2")).toBe(true));
  });

  it("says why a row could not be deleted, next to it", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) =>
      init?.method === "DELETE"
        ? json({ error: "mark_in_use", message: "このマークは使われています / in use", errors: [] }, 409)
        : json(ROWS),
    );
    vi.spyOn(window, "confirm").mockReturnValue(true);
    page();
    fireEvent.click(await screen.findByRole("button", { name: "「要対応」を削除" }));
    const row = screen.getByRole("table").querySelector('tr[data-row="要対応"]') as HTMLElement;
    await waitFor(() => expect(within(row).getByRole("alert").textContent).toBe("このマークは使われています"));
  });

  it("follows a paged list", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      String(url).includes("after=")
        ? json({ items: [ROWS[1]], next: null })
        : json({ items: [ROWS[0]], next: "c1" }),
    );
    page(["response_marks.manage"], { ...MARKS, paged: true, path: "/response_marks/marks?limit=1" });
    await screen.findByRole("table");
    fireEvent.click(screen.getByRole("button", { name: "さらに表示" }));
    await waitFor(() => expect(screen.getByRole("table").querySelectorAll("tbody tr")).toHaveLength(2));
    expect(fetchMock.mock.calls.map(([u]) => String(u))).toContain("/api/workspaces/5/response_marks/marks?limit=1&after=c1");
    expect(screen.queryByRole("button", { name: "さらに表示" })).toBeNull();
  });
});
