import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import type { NodeTypeDef, Problem } from "../types";
import { changedPaths, ConfigForm } from "./ConfigForm";

// The wait node's config as the server registers it: at least one of days, hours and minutes above zero.
const waitType: NodeTypeDef = {
  ...NODE_TYPES.find((t) => t.key === "core.wait_delay")!,
  config_schema: {
    type: "object",
    title: "時間 / Duration",
    properties: {
      days: { type: "integer", minimum: 0, maximum: 3650, default: 0, title: "日 / Days" },
      hours: { type: "integer", minimum: 0, maximum: 23, default: 0, title: "時間 / Hours" },
      minutes: { type: "integer", minimum: 0, maximum: 59, default: 0, title: "分 / Minutes" },
    },
    additionalProperties: false,
    anyOf: [
      { properties: { days: { minimum: 1 } }, required: ["days"] },
      { properties: { hours: { minimum: 1 } }, required: ["hours"] },
      { properties: { minutes: { minimum: 1 } }, required: ["minutes"] },
    ],
  },
};
const NOTHING = "日・時間・分のどれかを入力してください";

// The assignment plugin's "担当者を設定": one of three ways, said only by which field each way requires.
const assignType: NodeTypeDef = {
  ...waitType,
  key: "assignment.set_assignee",
  config_schema: {
    type: "object",
    properties: {
      user_id: { type: "integer", minimum: 1, title: "担当スタッフ / Staff member" },
      pool_id: { type: "integer", minimum: 1, title: "振り分けグループ / Round-robin pool" },
      unassign: { type: "boolean", const: true, title: "担当者を外す / Unassign" },
      keep_existing: { type: "boolean", default: false, title: "担当者がいる友だちはそのまま / Keep an existing assignee" },
    },
    additionalProperties: false,
    oneOf: [
      { title: "スタッフを指定 / A staff member", required: ["user_id"] },
      { title: "グループで順番に振り分け / Round-robin over a pool", required: ["pool_id"] },
      {
        title: "担当者を外す / Unassign",
        required: ["unassign"],
        not: { required: ["keep_existing"], properties: { keep_existing: { const: true } } },
      },
    ],
  },
  ui_schema: {},
};

function Controlled(props: { nodeType: NodeTypeDef; initial: Record<string, unknown>; problems?: Problem[]; reveal?: boolean; seen?: (c: Record<string, unknown>) => void }) {
  const [config, setConfig] = useState(props.initial);
  return (
    <ConfigForm
      nodeType={props.nodeType}
      config={config}
      problems={props.problems}
      reveal={props.reveal}
      onChange={(c) => {
        setConfig(c);
        props.seen?.(c);
      }}
    />
  );
}

const errorsShown = () => [...document.querySelectorAll(".ant-form-item-explain-error")].map((e) => e.textContent);

afterEach(() => vi.restoreAllMocks());

describe("form problems at the field", () => {
  it("says nothing about a field not yet touched, then what to fill once it was, and goes once fixed", async () => {
    render(<Controlled nodeType={waitType} initial={{ days: 0, hours: 0, minutes: 0 }} />);
    expect(errorsShown()).toEqual([]);
    fireEvent.change(screen.getByLabelText("日"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("日"), { target: { value: "0" } });
    await waitFor(() => expect(errorsShown()).toEqual([NOTHING]));
    fireEvent.change(screen.getByLabelText("分"), { target: { value: "30" } });
    await waitFor(() => expect(errorsShown()).toEqual([]));
  });

  it("shows a field's problem once the field is left, even unchanged", async () => {
    const nodeType = {
      ...waitType,
      config_schema: { type: "object", required: ["name"], properties: { name: { type: "string", title: "名前 / Name" } } },
      ui_schema: {},
    };
    render(<Controlled nodeType={nodeType} initial={{}} />);
    expect(errorsShown()).toEqual([]);
    fireEvent.blur(screen.getByLabelText("名前"));
    await waitFor(() => expect(errorsShown()).toEqual(["名前を入力してください"]));
  });

  it("shows every problem when the form is checked as a whole (on save)", async () => {
    render(<Controlled nodeType={waitType} initial={{ days: 0, hours: 0, minutes: 0 }} reveal />);
    await waitFor(() => expect(errorsShown()).toEqual([NOTHING]));
  });

  it("shows the server's problem at its field in the same words, until the field changes", async () => {
    const problems = [{ node_id: "n", path: "$.nodes[4].config.minutes", message: "分は59以下にしてください / Minutes: must be 59 or less" }];
    render(<Controlled nodeType={waitType} initial={{ days: 0, hours: 1, minutes: 75 }} problems={problems} />);
    const item = screen.getByLabelText("分").closest(".ant-form-item")!;
    expect(item.querySelector(".ant-form-item-explain-error")?.textContent).toBe("分は59以下にしてください");
    expect(errorsShown().join()).not.toMatch(/\$|nodes|config/);
    fireEvent.change(screen.getByLabelText("分"), { target: { value: "5" } });
    await waitFor(() => expect(errorsShown()).toEqual([]));
  });

  it("lists which fields differ between two answers", () => {
    expect(changedPaths({ a: 1, m: [{ t: "x" }] }, { a: 1, m: [{ t: "y" }, { t: "z" }] })).toEqual(["$.m[0].t", "$.m[1]"]);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe("times", () => {
  it("gives a time of day the time picker, in schema forms", async () => {
    const nodeType = {
      ...waitType,
      config_schema: {
        type: "object",
        properties: {
          time: { type: "string", pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$", title: "時刻 / Time" },
          name: { type: "string", title: "名前 / Name" },
        },
      },
      ui_schema: {},
    };
    const seen = vi.fn();
    render(<Controlled nodeType={nodeType} initial={{ time: "08:00" }} seen={seen} />);
    const time = screen.getByLabelText("時刻");
    expect(time.closest(".ant-picker")).not.toBeNull();
    expect((time as HTMLInputElement).value).toBe("08:00");
    expect(screen.getByLabelText("名前").closest(".ant-picker")).toBeNull();
  });
});

describe("ways to answer", () => {
  it("draws 担当者を設定 as a choice of ways, each with its own field, never as an unsupported field", async () => {
    const seen = vi.fn();
    const view = render(<Controlled nodeType={assignType} initial={{}} seen={seen} />);
    expect(errorsShown()).toEqual([]); // nothing touched yet
    expect(view.container.textContent).not.toMatch(/Unsupported|Unknown field type|"type"|\{/);
    expect(screen.getByLabelText("担当スタッフ")).toBeTruthy();
    expect(screen.queryByLabelText("振り分けグループ")).toBeNull();
    const ways = screen.getAllByRole("combobox")[0];
    fireEvent.mouseDown(ways);
    fireEvent.click(await screen.findByText("担当者を外す", { selector: ".ant-select-item-option-content" }));
    await waitFor(() => expect(seen).toHaveBeenLastCalledWith(expect.objectContaining({ unassign: true })));
    expect(screen.queryByLabelText("担当スタッフ")).toBeNull();
    expect(screen.queryByRole("checkbox", { name: "担当者を外す" })).toBeNull();
    // keeping the assignee while unassigning is refused at that field
    fireEvent.click(screen.getByRole("checkbox", { name: "担当者がいる友だちはそのまま" }));
    await waitFor(() => expect(errorsShown()).toEqual(["「担当者がいる友だちはそのまま」はこの組み合わせでは使えません"]));
  }, 30000);
});
