// Auto-layout with dagre: top to bottom, nodes in ranks along the edges. A node's branches keep the order of its
// ports left to right (はい left of いいえ, as the node draws its handles), so their edges do not cross: dagre
// orders a rank by its own heuristics, which may swap two branches; those are put back afterwards.
import dagre from "@dagrejs/dagre";
import type { FlowEdge, FlowNode } from "./document";

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 90;
const NODE_SEP = 50;

/** A node's output ports, left to right (its type's order); unknown ones keep the edges' order. */
export type PortOrder = (node: FlowNode) => readonly string[];

const width = (n: FlowNode) => n.measured?.width ?? NODE_WIDTH;
const height = (n: FlowNode) => n.measured?.height ?? NODE_HEIGHT;

export function autoLayout(nodes: FlowNode[], edges: FlowEdge[], portOrder: PortOrder = () => []): FlowNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const rank = (e: FlowEdge) => {
    const source = byId.get(e.source);
    const order = source ? portOrder(source) : [];
    const i = order.indexOf(e.sourceHandle ?? "next");
    return i < 0 ? order.length : i;
  };
  const ordered = edges.filter((e) => byId.has(e.source) && byId.has(e.target));
  ordered.sort((a, b) => rank(a) - rank(b)); // stable: edges of other ports keep their order

  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  // Nodes in the order a walk along the ordered edges meets them: dagre starts from that order.
  for (const n of walkOrder(nodes, ordered)) g.setNode(n.id, { width: width(n), height: height(n) });
  for (const e of ordered) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const x = new Map(nodes.map((n) => [n.id, g.node(n.id).x]));
  keepBranchOrder(nodes, ordered, x);
  return nodes.map((n) => {
    const p = g.node(n.id);
    return { ...n, position: { x: Math.round(x.get(n.id)! - width(n) / 2), y: Math.round(p.y - height(n) / 2) } };
  });
}

function walkOrder(nodes: FlowNode[], edges: FlowEdge[]): FlowNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const next = new Map<string, string[]>();
  const hasInput = new Set<string>();
  for (const e of edges) {
    next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
    hasInput.add(e.target);
  }
  const seen = new Set<string>();
  const out: FlowNode[] = [];
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    out.push(byId.get(id)!);
    for (const t of next.get(id) ?? []) visit(t);
  };
  for (const n of nodes) if (!hasInput.has(n.id)) visit(n.id);
  for (const n of nodes) visit(n.id);
  return out;
}

/** Where dagre put a later port's branch left of an earlier one's, the two branches (each with what only it
 * leads to) trade places. */
function keepBranchOrder(nodes: FlowNode[], edges: FlowEdge[], x: Map<string, number>): void {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const reach = (from: string) => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(next.get(id) ?? []));
    }
    return seen;
  };
  for (const n of nodes) {
    const targets = [...new Set(next.get(n.id) ?? [])];
    for (let i = 0; i + 1 < targets.length; i++) {
      const [a, b] = [targets[i], targets[i + 1]];
      if (x.get(a)! <= x.get(b)!) continue;
      const fromA = reach(a);
      const fromB = reach(b);
      if (fromA.has(n.id) || fromB.has(n.id)) continue; // a loop back: leave it
      const onlyA = [...fromA].filter((id) => !fromB.has(id));
      const onlyB = [...fromB].filter((id) => !fromA.has(id));
      const shift = x.get(a)! - x.get(b)!;
      for (const id of onlyA) x.set(id, x.get(id)! - shift);
      for (const id of onlyB) x.set(id, x.get(id)! + shift);
    }
  }
}

const GAP = 16;

/** Where a node dropped at `point` (flow coordinates, under the pointer) goes: centred there, or, if it would
 * cover another node, the nearest place below or beside it that is free. */
export function dropPosition(point: { x: number; y: number }, nodes: readonly FlowNode[]): { x: number; y: number } {
  const w = NODE_WIDTH;
  const h = NODE_HEIGHT;
  const boxes = nodes.map((n) => ({ x: n.position.x, y: n.position.y, w: width(n), h: height(n) }));
  const free = (x: number, y: number) =>
    boxes.every((b) => x + w + GAP <= b.x || b.x + b.w + GAP <= x || y + h + GAP <= b.y || b.y + b.h + GAP <= y);
  const start = { x: Math.round(point.x - w / 2), y: Math.round(point.y - h / 2) };
  if (free(start.x, start.y)) return start;
  // Try places ever further out: below first (the flow goes down), then to either side, then above.
  const step = 20;
  for (let d = step; d < 4000; d += step) {
    for (const [dx, dy] of [[0, d], [d, 0], [-d, 0], [0, -d], [d, d], [-d, d]]) {
      if (free(start.x + dx, start.y + dy)) return { x: start.x + dx, y: start.y + dy };
    }
  }
  return start;
}
