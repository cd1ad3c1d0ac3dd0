import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups } from "../../forms/pickers";
import { NODE_TYPES } from "../../test/fixtures";
import { InflowPage } from "./InflowPage";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("inflow route form", () => {
  it("configures an action on entry through its generated form and shows the server's problem in it", async () => {
    const posted: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const path = String(url);
      if (init?.method === "POST") {
        posted.push(JSON.parse(String(init.body)));
        return json(
          {
            error: "invalid",
            message: "入力内容に誤りがあります / invalid input",
            errors: [{ path: "$.actions[0].config.tag_ids[0]", message: "タグ 8 は存在しません(削除済み?) / tag 8 does not exist" }],
          },
          422,
        );
      }
      if (path.endsWith("/catalog")) return json({ node_types: NODE_TYPES, reports: [], friend_fields: [] });
      if (path.endsWith("/tags")) return json([{ id: 8, name: "店頭から", color: "#00ff00" }]);
      return json([]);
    });
    render(
      <InflowPage
        access={{
          workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
          role: "owner",
          permissions: ["inflow.manage"],
          enabled_plugins: ["inflow", "tags"],
        }}
      />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "経路を追加" }));
    const form = screen.getByRole("form", { name: "経路を追加" });
    fireEvent.change(within(form).getByLabelText("経路名"), { target: { value: "店頭POP" } });
    fireEvent.click(within(form).getByLabelText("初回のみ"));
    // Only action node types are offered.
    const choose = within(form).getByLabelText("追加するアクション");
    expect(within(choose).queryByText("友だち追加されたとき")).toBeNull();
    fireEvent.change(choose, { target: { value: "tags.add_tag" } });
    fireEvent.click(within(form).getByRole("button", { name: "アクションを追加" }));
    const action = within(form).getByRole("group", { name: "タグを付ける" });
    fireEvent.click(await within(action).findByLabelText("店頭から"));
    fireEvent.click(within(form).getByRole("button", { name: "経路を作成" }));

    await waitFor(() => expect(within(action).getByText("タグ 8 は存在しません(削除済み?)")).toBeTruthy());
    expect(posted).toEqual([
      {
        name: "店頭POP",
        folder: "",
        mode: "first_time",
        enabled: true,
        actions: [{ type: "tags.add_tag", type_version: 1, config: { tag_ids: [8] } }],
      },
    ]);
  });
});
