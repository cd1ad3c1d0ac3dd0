// Auto-layout with dagre: top to bottom, nodes in ranks along the edges.
import dagre from "@dagrejs/dagre";
import type { FlowEdge, FlowNode } from "./document";

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 90;

export function autoLayout(nodes: FlowNode[], edges: FlowEdge[]): FlowNode[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 50, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    g.setNode(n.id, {
      width: n.measured?.width ?? NODE_WIDTH,
      height: n.measured?.height ?? NODE_HEIGHT,
    });
  }
  for (const e of edges) {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  }
  dagre.layout(g);
  return nodes.map((n) => {
    const p = g.node(n.id);
    const width = n.measured?.width ?? NODE_WIDTH;
    const height = n.measured?.height ?? NODE_HEIGHT;
    return { ...n, position: { x: Math.round(p.x - width / 2), y: Math.round(p.y - height / 2) } };
  });
}
