import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { lookupsOf } from "../forms/lookups.fixture";
import { LookupContext } from "../forms/pickers";
import { NODE_TYPES } from "../test/fixtures";
import { inConsole } from "../test/router";
import { DryRunPanel } from "./DryRunPanel";

const addTag = NODE_TYPES.find((t) => t.key === "tags.add_tag")!;
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });

afterEach(() => vi.restoreAllMocks());

describe("dry run", () => {
  it("does to the described friend first whatever actions the workspace offers, configured with their own forms", async () => {
    const sent: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.endsWith("/bulk-operations/actions")) return json([addTag]);
      if (url.includes("/friends?")) return json({ items: [] });
      if (url.endsWith("/tags")) return json([{ id: 1, name: "VIP", color: "#f00" }, { id: 2, name: "新規", color: "#0f0" }]);
      if (url.endsWith("/dry-run")) {
        sent.push(JSON.parse(String(init?.body)));
        return json({ outcome: "completed", steps: [] });
      }
      return json({});
    });
    const onResult = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
        <DryRunPanel
          workspaceId={3}
          scenarioId={5}
          nodes={[]}
          types={new Map()}
          timezone="Asia/Tokyo"
          beforeRun={async () => true}
          result={null}
          onResult={onResult}
          onFocusNode={vi.fn()}
        />
      </LookupContext.Provider>,
      inConsole,
    );
    const setup = await screen.findByRole("group", { name: "最初にしておく操作" });
    // An action is picked in the select's list, as a person does.
    const addAction = async () => {
      fireEvent.mouseDown(within(setup).getByRole("combobox", { name: "操作を追加" }));
      const options = await screen.findAllByText("タグを付ける", { selector: ".ant-select-item-option-content" });
      fireEvent.click(options[options.length - 1]);
    };
    await addAction();
    const action = await screen.findByRole("group", { name: "操作1: タグを付ける" });
    fireEvent.click(await within(action).findByRole("checkbox", { name: /VIP/ }));
    // A second one added, then taken off again: only the first is done.
    await addAction();
    fireEvent.click(await screen.findByRole("button", { name: "操作2（タグを付ける）を外す" }));
    expect(screen.queryByRole("group", { name: "操作2: タグを付ける" })).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "テスト実行" }));
    await waitFor(() => expect(onResult).toHaveBeenCalled());
    expect(sent).toEqual([
      {
        source: "draft",
        events: [],
        friend: { display_name: "テスト太郎", setup: [{ type: "tags.add_tag", type_version: 1, config: { tag_ids: [1] } }] },
      },
    ]);
  });
});
