import { describe, expect, it } from "vitest";
import { flowNode, type FlowEdge, type FlowNode } from "./document";
import { autoLayout, dropPosition, NODE_HEIGHT, NODE_WIDTH } from "./layout";

const n = (id: string, type = "core.wait_delay") => flowNode({ id, type, type_version: 1, config: {} }, { x: 0, y: 0 });
const e = (source: string, target: string, port = "next"): FlowEdge => ({
  id: `${source}-${port}-${target}`,
  source,
  sourceHandle: port,
  target,
  targetHandle: "in",
});
const YES_NO = (node: FlowNode) => (node.data.typeKey === "tags.has_tags" ? ["yes", "no"] : ["next"]);
const x = (nodes: FlowNode[], id: string) => nodes.find((m) => m.id === id)!.position.x;

describe("auto-layout", () => {
  it("keeps the はい branch left of the いいえ branch, whatever order the edges were drawn in", () => {
    const nodes = [n("t", "core.friend_followed"), n("c", "tags.has_tags"), n("no1"), n("no2"), n("yes1"), n("yes2"), n("end")];
    // いいえ drawn first, and its branch longer: dagre alone puts it on the left
    const edges = [e("t", "c"), e("c", "no1", "no"), e("no1", "no2"), e("c", "yes1", "yes"), e("yes1", "yes2"), e("no2", "end"), e("yes2", "end")];
    for (const order of [edges, [...edges].reverse()]) {
      const laid = autoLayout(nodes, order, YES_NO);
      expect(x(laid, "yes1")).toBeLessThan(x(laid, "no1"));
      expect(x(laid, "yes2")).toBeLessThan(x(laid, "no2"));
    }
  });

  it("keeps three or more ports in their order and leaves loops alone", () => {
    const order = (node: FlowNode) => (node.id === "c" ? ["a", "b", "z"] : ["next"]);
    const nodes = [n("c"), n("A"), n("B"), n("Z")];
    const laid = autoLayout(nodes, [e("c", "Z", "z"), e("c", "B", "b"), e("c", "A", "a"), e("Z", "c")], order);
    expect(x(laid, "A")).toBeLessThan(x(laid, "B"));
    expect(laid.every((m) => Number.isFinite(m.position.x) && Number.isFinite(m.position.y))).toBe(true);
  });
});

describe("dropping a node", () => {
  const at = (id: string, px: number, py: number): FlowNode => ({ ...n(id), position: { x: px, y: py } });
  const overlaps = (p: { x: number; y: number }, m: FlowNode) =>
    p.x < m.position.x + NODE_WIDTH && m.position.x < p.x + NODE_WIDTH && p.y < m.position.y + NODE_HEIGHT && m.position.y < p.y + NODE_HEIGHT;

  it("lands centred where it is dropped on free canvas", () => {
    expect(dropPosition({ x: 500, y: 300 }, [at("a", 0, 0)])).toEqual({ x: 500 - NODE_WIDTH / 2, y: 300 - NODE_HEIGHT / 2 });
  });

  it("goes beside the nodes it would cover, close to where it was dropped", () => {
    const nodes = [at("a", 0, 0), at("b", 0, 120), at("c", 300, 0)];
    for (const point of [{ x: 120, y: 45 }, { x: 130, y: 150 }, { x: 400, y: 60 }]) {
      const p = dropPosition(point, nodes);
      expect(nodes.some((m) => overlaps(p, m))).toBe(false);
      expect(Math.hypot(p.x + NODE_WIDTH / 2 - point.x, p.y + NODE_HEIGHT / 2 - point.y)).toBeLessThan(400);
    }
  });
});
