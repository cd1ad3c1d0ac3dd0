import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { LookupContext, registered } from "@enishi/plugin-ui";
import register from "./index";
import { changedValues, fieldsFormType } from "./values";

const panels = () => registered(register, "friend_fields").friendPanel;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const fields = [
  { key: "rank", label: "ランク", label_en: "Rank", type: "select", required: false, description: "", value_schema: { type: "string", enum: ["A", "B"] } },
  { key: "age", label: "年齢", label_en: "Age", type: "number", required: false, description: "", value_schema: { type: ["integer", "null"] } },
  { key: "photo", label: "写真", label_en: "Photo", type: "file", required: false, description: "", value_schema: { type: "object" } },
];

afterEach(() => vi.restoreAllMocks());

describe("the friend's values", () => {
  it("build one form from the fields' value schemas, file fields left out", () => {
    const schema = fieldsFormType(fields, "ja").config_schema as { properties: Record<string, Record<string, unknown>> };
    expect(Object.keys(schema.properties)).toEqual(["rank", "age"]);
    expect(schema.properties.rank).toMatchObject({ title: "ランク", enum: ["A", "B"], type: ["string", "null"] });
    expect(schema.properties.age.type).toEqual(["integer", "null"]);
    expect((fieldsFormType(fields, "en").config_schema as typeof schema).properties.rank.title).toBe("Rank");
  });

  it("save what changed, and clear what was emptied", () => {
    expect(changedValues({ rank: "A", age: 30 }, { rank: "A", age: 31 })).toEqual({ age: 31 });
    expect(changedValues({ rank: "A" }, { rank: "" })).toEqual({ rank: null });
    expect(changedValues({ rank: "A" }, {})).toEqual({ rank: null });
    expect(changedValues({}, { rank: "B" })).toEqual({ rank: "B" });
  });
});

describe("the friend fields panel", () => {
  it("comes after the tags, the mark and the assignee on the friend's page", () => {
    expect(panels().map((p) => [p.key, p.title, p.order])).toEqual([["fields", { ja: "友だち情報", en: "Friend fields" }, 40]]);
  });

  it("edits the friend's values in one form and saves only what changed", async () => {
    const Panel = panels()[0].component;
    const patches: [string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (String(url).endsWith("/friend_fields/fields")) return json(fields);
      if (init?.method === "PATCH") {
        patches.push([String(url), JSON.parse(String(init.body))]);
        return json({ values: { rank: "A", age: 31, photo: { name: "a.png" } } });
      }
      return json({ values: { rank: "A", age: 30, photo: { name: "a.png" } } });
    });
    render(
      <LookupContext.Provider value={{ workspaceId: 2, lookups: [] }}>
        <Panel workspaceId={2} permissions={[]} friendId={9} timezone="Asia/Tokyo" />
      </LookupContext.Provider>,
    );
    const save = (await screen.findByRole("button", { name: "友だち情報を保存" })) as HTMLButtonElement;
    expect(screen.getByRole("region", { name: "友だち情報" })).toBeTruthy();
    expect(save.disabled).toBe(true);
    const download = screen.getByRole("link", { name: "ダウンロード" });
    expect(download.getAttribute("href")).toBe("/api/workspaces/2/friend_fields/friends/9/files/photo");
    const age = (await screen.findByLabelText(/^年齢/)) as HTMLInputElement; // (the form is read when first drawn)
    expect(age.value).toBe("30");
    fireEvent.change(age, { target: { value: "31" } });
    await waitFor(() => expect(save.disabled).toBe(false));
    await act(async () => {
      fireEvent.click(save);
    });
    expect(patches).toEqual([["/api/workspaces/2/friend_fields/friends/9", { values: { age: 31 } }]]);
    expect((await screen.findByRole("status")).textContent).toBe("保存しました");
  });

  it("says when the workspace has no fields", async () => {
    const Panel = panels()[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      json(String(url).endsWith("/fields") ? [] : { values: {} }),
    );
    render(
      <LookupContext.Provider value={{ workspaceId: 2, lookups: [] }}>
        <Panel workspaceId={2} permissions={[]} friendId={10} timezone="Asia/Tokyo" />
      </LookupContext.Provider>,
    );
    expect(await screen.findByText("友だち情報の項目がありません")).toBeTruthy();
  });
});
