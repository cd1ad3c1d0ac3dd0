import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import { inConsole } from "../test/router";
import { EditorContext } from "../editor/context";
import { defaultConfig } from "../editor/defaults";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { lookupsOf, TEST_LOOKUPS } from "./lookups.fixture";
import { forgetLookups, lookupForWidget, LookupContext, LookupWidget, pickerFor } from "./pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "./schema";

const tagType = NODE_TYPES.find((t) => t.key === "tags.add_tag")!;
const waitType = NODE_TYPES.find((t) => t.key === "core.wait_delay")!;

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("schemas for forms", () => {
  it("shows one language of a 'ja / en' title", () => {
    expect(localizeSchema({ title: "分 / Minutes", enum: ["a / b"] }, "ja")).toEqual({ title: "分", enum: ["a / b"] });
    expect(localizeSchema({ title: "分 / Minutes" }, "en")).toEqual({ title: "Minutes" });
  });
  it("drops constraint-only anyOf from the layout", () => {
    expect(formSchema(waitType.config_schema)).not.toHaveProperty("anyOf");
  });
  it("chooses pickers by lookup name or a property a lookup claims with its type, else a plain widget", () => {
    const all = TEST_LOOKUPS;
    expect(pickerFor("tag_ids", { type: "array", items: { type: "integer" } }, undefined, all)).toBe("tags.tags");
    expect(pickerFor("mark_id", { type: ["integer", "null"] }, undefined, all)).toBe("response_marks.marks");
    expect(pickerFor("key", { type: "string" }, undefined, all)).toBe("friend_fields.fields");
    expect(pickerFor("key", { type: "integer" }, undefined, all)).toBeNull();
    expect(pickerFor("anything", { type: "integer" }, "assignment.staff", all)).toBe("assignment.staff");
    expect(pickerFor("colour", { type: "string" }, undefined, all)).toBeNull();
    // A property no enabled plugin's lookup claims is a plain field.
    expect(pickerFor("tag_ids", { type: "array", items: { type: "integer" } }, undefined, lookupsOf())).toBeNull();
    expect(lookupForWidget("messageTemplate", all)).toBe("messages.templates");
    expect(lookupForWidget("messageTemplate", lookupsOf("tags"))).toBeNull();
    const ui = decorateUiSchema(tagType.config_schema, {}, all);
    expect(ui.tag_ids).toMatchObject({ "ui:widget": "lookup", "ui:options": { lookup: "tags.tags", multiple: true } });
    expect(decorateUiSchema(tagType.config_schema, {}, [])).not.toHaveProperty("tag_ids");
  });
  it("gives a new node its schema's defaults but no empty list items", () => {
    expect(defaultConfig(waitType)).toEqual({ days: 0, hours: 0, minutes: 0 });
    expect(defaultConfig(NODE_TYPES.find((t) => t.key === "messages.send_messages")!)).toEqual({ messages: [] });
  });
});

describe("config form", () => {
  it("renders a plain generated form and reports changes", async () => {
    const onChange = vi.fn();
    render(<ConfigForm nodeType={waitType} config={{ days: 0, hours: 0, minutes: 0 }} onChange={onChange} />);
    fireEvent.change(screen.getByLabelText("分"), { target: { value: "30" } });
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ days: 0, hours: 0, minutes: 30 }));
  });

  it("shows each field's label, required mark, description and Japanese errors at the field", async () => {
    const nodeType = {
      ...waitType,
      config_schema: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", title: "名前 / Name", description: "友だちに見える名前 / Shown", minLength: 2 } },
      },
      ui_schema: {},
    };
    function Form() {
      const [config, setConfig] = useState<Record<string, unknown>>({ name: "a" });
      return <ConfigForm nodeType={nodeType} config={config} onChange={setConfig} />;
    }
    const view = render(<Form />, inConsole);
    const input = screen.getByLabelText("名前");
    const item = input.closest(".ant-form-item")!;
    expect(item.querySelector(".ant-form-item-required")?.textContent).toBe("名前");
    expect(item.textContent).toContain("友だちに見える名前");
    fireEvent.change(input, { target: { value: "b" } });
    await waitFor(() => expect(item.querySelector(".ant-form-item-explain-error")?.textContent).toBe("名前は2文字以上にしてください"));
    expect(item.classList.contains("ant-form-item-has-error")).toBe(true);
    view.unmount();
  });

  it("searches a long list of one choice", async () => {
    const rows = Array.from({ length: 9 }, (_, n) => ({ id: n + 1, name: `担当${n + 1}` }));
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify(rows), { status: 200 }));
    const onChange = vi.fn();
    const nodeType = {
      ...waitType,
      config_schema: { type: "object", properties: { pool_id: { type: "integer", title: "グループ" } } },
      ui_schema: {},
    };
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: TEST_LOOKUPS }}>
        <ConfigForm nodeType={nodeType} config={{}} onChange={onChange} />
      </LookupContext.Provider>,
      inConsole,
    );
    const select = await screen.findByRole("combobox", { name: "グループ" });
    fireEvent.mouseDown(select);
    fireEvent.change(select, { target: { value: "担当9" } });
    await waitFor(() =>
      expect([...document.querySelectorAll(".ant-select-item-option-content")].map((o) => o.textContent)).toEqual(["担当9"]),
    );
    fireEvent.click(await screen.findByText("担当9", { selector: ".ant-select-item-option-content" }));
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ pool_id: 9 }));
  });

  it("picks tags from the plugin's list", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(
      new Response(JSON.stringify([{ id: 7, name: "購入希望", color: "#ff0000" }, { id: 8, name: "常連", color: "#00ff00" }]), {
        status: 200,
      }),
    );
    const onChange = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
        <ConfigForm nodeType={tagType} config={{}} onChange={onChange} />
      </LookupContext.Provider>,
    );
    fireEvent.click(await screen.findByLabelText("常連"));
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ tag_ids: [8] }));
    expect(fetchMock.mock.calls[0][0]).toBe("/api/workspaces/3/tags");
  });

  it("lets you type ids when the list is empty, cannot be read, or its plugin is off", async () => {
    const typed = async (lookups = lookupsOf("tags"), ui: Record<string, unknown> = {}) => {
      const onChange = vi.fn();
      const view = render(
        <LookupContext.Provider value={{ workspaceId: 3, lookups }}>
          <ConfigForm nodeType={{ ...tagType, ui_schema: ui }} config={{}} onChange={onChange} />
        </LookupContext.Provider>,
      );
      fireEvent.change(await screen.findByLabelText("タグ"), { target: { value: "4, 5" } });
      await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ tag_ids: [4, 5] }));
      const note = view.container.querySelector(".lookup .muted")?.textContent;
      view.unmount();
      forgetLookups();
      return note;
    };
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("[]", { status: 200 }));
    expect(await typed()).toContain("選べる項目がまだありません");
    fetchMock.mockResolvedValue(new Response("{}", { status: 500 }));
    expect(await typed()).toContain("一覧を読み込めません");
    // The node's uiSchema names the list, but the workspace does not offer it.
    fetchMock.mockClear();
    expect(await typed(lookupsOf(), { tag_ids: { "ui:options": { lookup: "tags.tags" } } })).toContain("選べる項目");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("reads paged lists, shows hints, and fills a widget a lookup claims by name", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(
      new Response(JSON.stringify({ items: [{ id: 11, name: "春の案内" }], next_cursor: null }), { status: 200 }),
    );
    const onChange = vi.fn();
    const props = {
      id: "t",
      name: "template_id",
      label: "テンプレート",
      value: undefined,
      schema: { type: "integer" as const },
      uiSchema: { "ui:widget": "messageTemplate" },
      options: {},
      onChange,
      onBlur: vi.fn(),
      onFocus: vi.fn(),
      registry: {} as never,
    };
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: TEST_LOOKUPS }}>
        <label htmlFor="t">テンプレート</label>
        <LookupWidget {...(props as unknown as Parameters<typeof LookupWidget>[0])} />
      </LookupContext.Provider>,
      inConsole,
    );
    fireEvent.mouseDown(await screen.findByRole("combobox", { name: "テンプレート" }));
    fireEvent.click(await screen.findByText("春の案内", { selector: ".ant-select-item-option-content" }));
    expect(onChange).toHaveBeenLastCalledWith(11);
    expect(fetchMock.mock.calls[0][0]).toBe("/api/workspaces/3/messages/templates?limit=200");
  });

  it("offers a filter box over more than eight options, and reads a list once per workspace", async () => {
    const rows = Array.from({ length: 9 }, (_, n) => ({ id: n + 1, name: `タグ${n + 1}`, color: "#000000" }));
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify(rows), { status: 200 }));
    const view = render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
        <ConfigForm nodeType={tagType} config={{}} onChange={vi.fn()} />
        <ConfigForm nodeType={tagType} config={{}} onChange={vi.fn()} idPrefix="other" />
      </LookupContext.Provider>,
    );
    const [filter] = await screen.findAllByLabelText("絞り込み");
    fireEvent.change(filter, { target: { value: "タグ9" } });
    await waitFor(() => expect(view.container.querySelectorAll(".lookup")[0].querySelectorAll("li")).toHaveLength(1));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe("message editor", () => {
  const sendType = NODE_TYPES.find((t) => t.key === "messages.send_messages")!;
  const shared = {
    types: new Map(NODE_TYPES.map((t) => [t.key, t])),
    problemsByNode: new Map(),
    dryRun: new Map(),
    waitingByNode: {},
    timezone: "Asia/Tokyo",
  };

  it("adds messages of each kind, orders and removes them, and gives a button an action to run when tapped", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("[]", { status: 200 }));
    let config: Record<string, unknown> = { messages: [] };
    const Editor = () => {
      const [value, setValue] = useState(config);
      config = value;
      return (
        <EditorContext.Provider value={shared}>
          <ConfigForm nodeType={{ ...sendType, ui_schema: { messages: { "ui:field": "lineMessages" } } }} config={value} onChange={setValue} />
        </EditorContext.Provider>
      );
    };
    render(<Editor />, inConsole);
    expect(screen.getByText("メッセージを追加してください")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "テキスト" }));
    fireEvent.change(await screen.findByLabelText("本文"), { target: { value: "ようこそ" } });
    fireEvent.click(screen.getByRole("button", { name: "ボタン" }));
    const second = await screen.findByRole("group", { name: "メッセージ2" });
    fireEvent.change(within(second).getByLabelText("通知に表示される文(代替テキスト)"), { target: { value: "ご案内" } });
    const button = within(second).getByRole("group", { name: "ボタン1" });
    fireEvent.change(within(button).getByLabelText("ボタンの文字"), { target: { value: "見る" } });
    fireEvent.mouseDown(within(button).getByRole("combobox", { name: "実行することを追加" }));
    fireEvent.click(await screen.findByText("タグを付ける", { selector: ".ant-select-item-option-content" }));
    expect(await within(button).findByRole("group", { name: "実行すること1" })).toBeTruthy();
    await waitFor(() =>
      expect(config.messages).toEqual([
        { type: "text", text: "ようこそ" },
        {
          type: "template",
          altText: "ご案内",
          template: {
            type: "buttons",
            text: "",
            actions: [
              { type: "postback", label: "見る", enishi_actions: [{ type: "tags.add_tag", type_version: 1, config: { tag_ids: [] } }] },
            ],
          },
        },
      ]),
    );
    // The card moves up; the text message goes.
    fireEvent.click(within(second).getByRole("button", { name: "上へ" }));
    await waitFor(() => expect((config.messages as { type: string }[]).map((m) => m.type)).toEqual(["template", "text"]));
    fireEvent.click(within(screen.getByRole("group", { name: "メッセージ2" })).getByRole("button", { name: "削除" }));
    await waitFor(() => expect((config.messages as { type: string }[]).map((m) => m.type)).toEqual(["template"]));
  }, 20_000);
});

describe("server preview of messages", () => {
  it("shows the messages as written until the server's answer for them comes; an older answer never lands", async () => {
    const sendType = NODE_TYPES.find((t) => t.key === "messages.send_messages")!;
    const answers: { text: string; resolve: (r: Response) => void }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (url, init) =>
        new Promise<Response>((resolve) => {
          expect(String(url)).toBe("/api/workspaces/3/messages/preview");
          const text = (JSON.parse(String(init!.body)) as { messages: { text: string }[] }).messages[0].text;
          answers.push({ text, resolve });
        }),
    );
    const answer = (i: number, shown: string, warnings: unknown[] = []) =>
      act(() => answers[i].resolve(new Response(JSON.stringify({ messages: [{ type: "text", text: shown }], warnings }), { status: 200 })));
    const form = (text: string) => (
      <LookupContext.Provider value={{ workspaceId: 3, lookups: TEST_LOOKUPS }}>
        <ConfigForm nodeType={sendType} config={{ messages: [{ type: "text", text }] }} onChange={vi.fn()} />
      </LookupContext.Provider>
    );
    const view = render(form("{{friend.display_name}}さん"));
    const bubbles = () => [...view.container.querySelectorAll(".line-bubble")].map((b) => b.textContent);
    await waitFor(() => expect(answers).toHaveLength(1));
    expect(bubbles()).toEqual(["山田 花子さん"]); // as written, an example friend's name in the variable's place
    await answer(0, "山田さん", [{ path: "$[0].text", message: "見本の名前です" }]);
    await waitFor(() => expect(bubbles()).toEqual(["山田さん"]));
    expect(screen.getByText("メッセージ 1件目 › テキスト: 見本の名前です")).toBeTruthy();

    view.rerender(form("{{friend.display_name}}様"));
    expect(bubbles()).toEqual(["山田 花子様"]); // at once, as written
    await waitFor(() => expect(answers).toHaveLength(2));
    view.rerender(form("{{friend.display_name}}殿"));
    await waitFor(() => expect(answers.map((a) => a.text)).toEqual(["{{friend.display_name}}さん", "{{friend.display_name}}様", "{{friend.display_name}}殿"]));
    await answer(1, "山田様"); // late, for what is no longer written
    expect(bubbles()).toEqual(["山田 花子殿"]);
    expect(screen.getByText("メッセージ 1件目 › テキスト: 見本の名前です")).toBeTruthy(); // the last remarks stay meanwhile
    await answer(2, "山田殿");
    await waitFor(() => expect(bubbles()).toEqual(["山田殿"]));
    expect(screen.queryByText("メッセージ 1件目 › テキスト: 見本の名前です")).toBeNull();
  });
});

describe("LINE preview", () => {
  it("shows text bubbles and button cards", () => {
    render(
      <LinePreview
        messages={[
          { type: "text", text: "ようこそ" },
          {
            type: "template",
            altText: "ご案内",
            template: { type: "buttons", title: "春の新作", text: "見てみますか？", actions: [{ type: "postback", label: "見る" }] },
          },
        ]}
      />,
    );
    expect(screen.getByText("ようこそ")).toBeTruthy();
    const card = screen.getByRole("group", { name: "ご案内" });
    expect(card.textContent).toContain("春の新作");
    expect(card.textContent).toContain("見る");
  });
});
