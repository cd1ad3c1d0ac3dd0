import { describe, expect, it } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import type { ScenarioDocument } from "../types";
import { copySelection, pasteClip } from "./clipboard";
import { documentToFlow, flowNode, flowToDocument, newId, type FlowEdge, type FlowNode } from "./document";
import i18n from "../i18n";
import { History } from "./history";
import { autoLayout } from "./layout";
import { connectionRefusal, typesByKey } from "./rules";
import { graphToSteps, isStepList, stepsToGraph, type StepList } from "./steps";
import { messagesProperty, summarize } from "./summary";

const types = typesByKey(NODE_TYPES);

function node(type: string, config: Record<string, unknown> = {}, at = { x: 0, y: 0 }): FlowNode {
  return flowNode({ id: newId(), type, type_version: 1, config }, at);
}

function edge(a: FlowNode, b: FlowNode, port = "next"): FlowEdge {
  return { id: newId(), source: a.id, sourceHandle: port, target: b.id, targetHandle: "in" };
}

describe("document ↔ React Flow", () => {
  const doc: ScenarioDocument = {
    schema_version: 1,
    nodes: [
      { id: "11111111-1111-4111-8111-111111111111", type: "core.friend_followed", type_version: 1, config: { when: "new" } },
      { id: "22222222-2222-4222-8222-222222222222", type: "tags.add_tag", type_version: 2, config: { tag_ids: [3] }, label: "常連" },
    ],
    edges: [
      {
        id: "33333333-3333-4333-8333-333333333333",
        source: "11111111-1111-4111-8111-111111111111",
        source_port: "next",
        target: "22222222-2222-4222-8222-222222222222",
        target_port: "in",
      },
    ],
    settings: { reentry: true, exit_condition: null, quiet_hours: { enabled: false, start: "22:00", end: "08:00" } },
    layout: {
      "11111111-1111-4111-8111-111111111111": { x: 10, y: 20 },
      "22222222-2222-4222-8222-222222222222": { x: 10, y: 200 },
    },
  };

  it("round-trips nodes, edges, settings and layout", () => {
    const flow = documentToFlow(doc);
    expect(flow.missingPositions).toBe(false);
    expect(flow.nodes[1]).toMatchObject({ type: "enishi", position: { x: 10, y: 200 }, data: { typeKey: "tags.add_tag", typeVersion: 2, label: "常連" } });
    expect(flow.edges[0]).toMatchObject({ sourceHandle: "next", targetHandle: "in" });
    expect(flowToDocument(flow.nodes, flow.edges, doc.settings)).toEqual(doc);
  });

  it("keeps positions in the layout, never in the config", () => {
    const flow = documentToFlow(doc);
    const moved = flow.nodes.map((n) => ({ ...n, position: { x: n.position.x + 0.4, y: n.position.y + 99.6 } }));
    const out = flowToDocument(moved, flow.edges, doc.settings);
    expect(out.layout?.["11111111-1111-4111-8111-111111111111"]).toEqual({ x: 10, y: 120 });
    expect(out.nodes.every((n) => !("position" in n) && !("x" in n.config))).toBe(true);
  });

  it("says when positions are missing, and auto-layout places nodes in ranks", () => {
    const flow = documentToFlow({ ...doc, layout: {} });
    expect(flow.missingPositions).toBe(true);
    const [first, second] = autoLayout(flow.nodes, flow.edges);
    expect(second.position.y).toBeGreaterThan(first.position.y);
  });
});

describe("connection rules", () => {
  const trigger = node("core.friend_followed");
  const wait = node("core.wait_delay");
  const send = node("messages.send_messages");
  const branch = node("tags.has_tags");
  const picky = node("probe.only_to_tags");
  const tag = node("tags.add_tag");
  const nodes = [trigger, wait, send, branch, picky, tag];
  const edges = [edge(trigger, wait)];
  const refusal = (source: FlowNode, target: FlowNode, sourceHandle = "next") =>
    connectionRefusal({ source: source.id, target: target.id, sourceHandle, targetHandle: "in" }, nodes, edges, types);

  it("allows an output to an input", () => {
    expect(refusal(wait, send)).toBeNull();
    expect(refusal(branch, send, "yes")).toBeNull();
  });
  it("refuses an edge into a trigger", () => expect(refusal(send, trigger)).toBe("trigger_input"));
  it("refuses a second edge from one output port", () => expect(refusal(trigger, send)).toBe("port_taken"));
  it("refuses ports the type does not have", () => expect(refusal(branch, send, "maybe")).toBe("no_output"));
  it("refuses a node to itself", () => expect(refusal(send, send)).toBe("self"));
  it("follows allowed_targets", () => {
    expect(refusal(picky, send)).toBe("not_allowed");
    expect(refusal(picky, tag)).toBeNull();
  });
});

describe("step list ↔ graph", () => {
  const trigger = node("core.friend_followed");
  const now = node("messages.send_messages", { messages: [{ type: "text", text: "ようこそ" }] });
  const wait1 = node("core.wait_until_time", { days_after: 1, time: "10:00" });
  const day1 = node("messages.send_messages", { messages: [{ type: "text", text: "1日目" }] });
  const wait2 = node("core.wait_until_time", { days_after: 2, time: "20:00" });
  const day3 = node("tags.add_tag", { tag_ids: [1] });
  const nodes = [trigger, now, wait1, day1, wait2, day3];
  const edges = [edge(trigger, now), edge(now, wait1), edge(wait1, day1), edge(day1, wait2), edge(wait2, day3)];

  it("reads a linear chain as Day 0 now, Day 1 10:00, Day 3 20:00", () => {
    const list = graphToSteps(nodes, edges, types);
    expect(isStepList(list)).toBe(true);
    const steps = (list as StepList).steps;
    expect(steps.map((s) => s.timing)).toEqual([
      { kind: "now" },
      { kind: "at", day: 1, time: "10:00" },
      { kind: "at", day: 3, time: "20:00" },
    ]);
    expect(steps.map((s) => s.action.id)).toEqual([now.id, day1.id, day3.id]);
  });

  it("writes the steps back as the same graph, keeping ids", () => {
    const list = graphToSteps(nodes, edges, types) as StepList;
    const graph = stepsToGraph(list, types, edges);
    expect(graph.nodes.map((n) => n.id)).toEqual(nodes.map((n) => n.id));
    expect(graph.nodes.map((n) => n.data.config)).toEqual(nodes.map((n) => n.data.config));
    expect(graph.edges.map((e) => e.id)).toEqual(edges.map((e) => e.id));
  });

  it("turns an absolute day into days after the step before, and a delay into a wait_delay node", () => {
    const list = graphToSteps(nodes, edges, types) as StepList;
    list.steps[2] = { ...list.steps[2], timing: { kind: "at", day: 5, time: "09:30" } };
    list.steps[1] = { ...list.steps[1], timing: { kind: "after", days: 0, hours: 2, minutes: 0 } };
    const graph = stepsToGraph(list, types, edges);
    const waits = graph.nodes.filter((n) => n.data.typeKey.startsWith("core.wait"));
    expect(waits.map((n) => [n.data.typeKey, n.data.config])).toEqual([
      ["core.wait_delay", { days: 0, hours: 2, minutes: 0 }],
      ["core.wait_until_time", { days_after: 5, time: "09:30" }],
    ]);
    expect(graph.edges).toHaveLength(graph.nodes.length - 1);
    const again = graphToSteps(graph.nodes, graph.edges, types) as StepList;
    expect(again.steps.map((s) => s.timing)).toEqual([
      { kind: "now" },
      { kind: "after", days: 0, hours: 2, minutes: 0 },
      { kind: "at", day: 5, time: "09:30" },
    ]);
  });

  it("removing a step's wait makes it happen right away", () => {
    const list = graphToSteps(nodes, edges, types) as StepList;
    list.steps[1] = { ...list.steps[1], timing: { kind: "now" } };
    const graph = stepsToGraph(list, types, edges);
    expect(graph.nodes.some((n) => n.id === wait1.id)).toBe(false);
    expect(graph.nodes).toHaveLength(5);
  });

  it("refuses branches, conditions and loose nodes", () => {
    const branch = node("tags.has_tags");
    expect(graphToSteps([trigger, branch, now], [edge(trigger, branch), edge(branch, now, "yes")], types)).toEqual({ reason: "kinds" });
    expect(graphToSteps([trigger, now, day1], [edge(trigger, now)], types)).toEqual({ reason: "unreached" });
    expect(graphToSteps([now], [], types)).toEqual({ reason: "triggers" });
    expect(graphToSteps([], [], types)).toEqual({ reason: "empty" });
  });
});

describe("undo and redo", () => {
  it("walks back and forth, and a new change drops the redo", () => {
    const h = new History<number>();
    h.record(1);
    h.record(2);
    expect(h.undo(3)).toBe(2);
    expect(h.undo(2)).toBe(1);
    expect(h.undo(1)).toBeNull();
    expect(h.redo(1)).toBe(2);
    expect(h.canRedo).toBe(true);
    h.record(2);
    expect(h.canRedo).toBe(false);
    expect(h.canUndo).toBe(true);
  });

  it("keeps at most its limit", () => {
    const h = new History<number>(3);
    for (let i = 0; i < 10; i++) h.record(i);
    expect([h.undo(10), h.undo(9), h.undo(8), h.undo(7)]).toEqual([9, 8, 7, null]);
  });
});

describe("copy and paste", () => {
  it("pastes the selected nodes and the edges among them with new ids", () => {
    const a = { ...node("core.wait_delay", { hours: 1 }, { x: 10, y: 10 }), selected: true };
    const b = { ...node("tags.add_tag", { tag_ids: [1] }, { x: 10, y: 100 }), selected: true };
    const c = node("messages.send_messages");
    const clip = copySelection([a, b, c], [edge(a, b), edge(b, c)])!;
    expect(clip.nodes).toHaveLength(2);
    expect(clip.edges).toHaveLength(1);
    const pasted = pasteClip(clip);
    expect(pasted.nodes.map((n) => n.id)).not.toContain(a.id);
    expect(pasted.nodes[0].position).toEqual({ x: 50, y: 50 });
    expect(pasted.edges[0]).toMatchObject({ source: pasted.nodes[0].id, target: pasted.nodes[1].id });
    pasted.nodes[0].data.config.hours = 5;
    expect(a.data.config.hours).toBe(1);
  });
});

describe("a node's one-line summary", () => {
  const t = i18n.getFixedT("ja");
  it("sums up any type that edits messages by its first message, whatever its plugin", () => {
    const ui = { body: { "ui:field": "lineMessages" } };
    const messages = [{ type: "text", text: "ようこそ！" }, { type: "sticker" }];
    expect(summarize(t, "shop.greet", { body: messages }, undefined, "ja", ui)).toBe("ようこそ！ ほか1件");
    expect(summarize(t, "shop.greet", { body: [] }, undefined, "ja", ui)).toBe("");
  });
  it("names the tags a node gives, or counts them while their names are not known, never showing an id", () => {
    const tag = types.get("tags.add_tag")!;
    const names = { tag_ids: new Map<unknown, string>([[1, "常連"], [2, "VIP"]]) };
    expect(summarize(t, tag.key, { tag_ids: [1, 2] }, tag.config_schema, "ja", tag.ui_schema, names)).toBe("タグ: 常連・VIP");
    expect(summarize(t, tag.key, { tag_ids: [1, 2] }, tag.config_schema, "ja", tag.ui_schema, { tag_ids: null })).toBe("タグ: 2件");
    expect(summarize(t, tag.key, { tag_ids: [1, 9] }, tag.config_schema, "ja", tag.ui_schema, names)).toBe("タグ: 2件");
    // an id no lookup claims is counted too
    expect(summarize(t, tag.key, { tag_ids: [7] }, tag.config_schema, "ja", tag.ui_schema)).toBe("タグ: 1件");
    expect(summarize(i18n.getFixedT("en"), tag.key, { tag_ids: [7, 8] }, tag.config_schema, "en")).toBe("Tags: 2 items");
  });
  it("shows a fixed value by its label in the UI's language, and yes / no for a switch", () => {
    const schema = {
      type: "object",
      properties: {
        tag_ids: { type: "array", title: "タグ / Tags", items: { type: "integer" } },
        match: {
          type: "string",
          title: "条件 / Match",
          oneOf: [
            { const: "any", title: "いずれかを持つ / Has any" },
            { const: "none", title: "どれも持たない / Has none" },
          ],
        },
        pin: { type: "boolean", title: "ピン留め / Pin" },
      },
    };
    const names = { tag_ids: new Map<unknown, string>([[1, "常連"]]) };
    expect(summarize(t, "tags.has_tags", { match: "none", tag_ids: [1] }, schema, "ja", {}, names)).toBe(
      "タグ: 常連, 条件: どれも持たない",
    );
    expect(summarize(i18n.getFixedT("en"), "tags.has_tags", { match: "any", tag_ids: [1] }, schema, "en", {}, names)).toBe(
      "Tags: 常連, Match: Has any",
    );
    expect(summarize(t, "notes.add", { pin: true }, schema, "ja")).toBe("ピン留め: はい");
  });
  it("names the event a wait waits for by its type, and its time limit as a duration", () => {
    const schema = {
      type: "object",
      properties: { event: { type: "object", title: "出来事 / Event" }, timeout: { type: "object", title: "期限 / Time limit" } },
    };
    const config = { event: { type: "tags.tag_added", type_version: 1, config: {} }, timeout: { days: 3, hours: 0, minutes: 0 } };
    const labels = new Map([["tags.tag_added", "タグが付いたとき"]]);
    expect(summarize(t, "core.wait_for_event", config, schema, "ja", {}, {}, labels)).toBe("出来事: タグが付いたとき, 期限: 3日");
    expect(summarize(t, "core.wait_for_event", config, schema, "ja")).toBe("出来事: …, 期限: 3日");
  });
  it("names the template a message node sends, never its id", () => {
    const ui = { messages: { "ui:field": "lineMessages" } };
    const names = { template_id: new Map<unknown, string>([[4, "営業時間"]]) };
    expect(summarize(t, "messages.send_messages", { messages: [], template_id: 4 }, undefined, "ja", ui, names)).toBe("定型文: 営業時間");
    expect(summarize(t, "messages.send_messages", { messages: [], template_id: 4 }, undefined, "ja", ui)).toBe("定型文");
    expect(summarize(t, "messages.send_messages", { messages: [{ type: "image" }] }, undefined, "ja", ui)).toBe("画像");
  });
  it("keeps actions that send messages out of a message's buttons", () => {
    expect(messagesProperty(types.get("messages.send_messages")!.ui_schema)).toBe("messages");
    expect(messagesProperty(types.get("tags.add_tag")!.ui_schema)).toBeNull();
  });
});
