// Copy and paste of nodes: the selected nodes and the edges among them, pasted with new ids, offset a little.
import type { FlowEdge, FlowNode } from "./document";
import { newId } from "./document";

export interface Clip {
  format: "enishi.nodes";
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export function copySelection(nodes: FlowNode[], edges: FlowEdge[]): Clip | null {
  const chosen = nodes.filter((n) => n.selected);
  if (chosen.length === 0) return null;
  const ids = new Set(chosen.map((n) => n.id));
  return {
    format: "enishi.nodes",
    nodes: chosen.map((n) => ({ id: n.id, type: n.type, position: n.position, data: structuredClone(n.data) })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, source: e.source, sourceHandle: e.sourceHandle, target: e.target, targetHandle: e.targetHandle })),
  };
}

export function pasteClip(clip: Clip, offset = 40): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const ids = new Map(clip.nodes.map((n) => [n.id, newId()]));
  const nodes = clip.nodes.map((n) => ({
    ...n,
    id: ids.get(n.id)!,
    position: { x: n.position.x + offset, y: n.position.y + offset },
    data: structuredClone(n.data),
    selected: true,
  }));
  const edges = clip.edges.map((e) => ({ ...e, id: newId(), source: ids.get(e.source)!, target: ids.get(e.target)! }));
  return { nodes, edges };
}
