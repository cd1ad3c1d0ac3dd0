// A scenario document ↔ React Flow's nodes and edges. The document keeps positions in `layout`, apart from the
// nodes' config; React Flow keeps them on the nodes.
import type { Edge, Node } from "@xyflow/react";
import type { ScenarioDocument, ScenarioEdge, ScenarioNode } from "../types";

export interface NodeData extends Record<string, unknown> {
  typeKey: string;
  typeVersion: number;
  config: Record<string, unknown>;
  label?: string;
}

export type FlowNode = Node<NodeData, "enishi">;
export type FlowEdge = Edge;

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

// Re-entry is left unset: the server then allows it for message-started scenarios (auto-replies) only. Quiet
// hours null: the workspace's.
export const DEFAULT_SETTINGS = {
  exit_condition: null,
  quiet_hours: null,
};

// Trigger types whose scenarios answer every time by default (the server's REENTRANT_TRIGGERS).
export const REENTRANT_TRIGGERS = ["core.message_received", "core.postback_received"];

export function newId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // (older browsers and plain HTTP pages on another host: crypto.randomUUID needs a secure context)
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function emptyDocument(): ScenarioDocument {
  return { schema_version: 1, nodes: [], edges: [], settings: { ...DEFAULT_SETTINGS }, layout: {} };
}

export function flowNode(node: ScenarioNode, position: { x: number; y: number }): FlowNode {
  const data: NodeData = { typeKey: node.type, typeVersion: node.type_version, config: node.config ?? {} };
  if (node.label) data.label = node.label;
  return { id: node.id, type: "enishi", position, data };
}

export function flowEdge(edge: ScenarioEdge): FlowEdge {
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.source_port,
    target: edge.target,
    targetHandle: edge.target_port,
  };
}

/** Nodes without a saved position are placed in a column, to be laid out by the caller if it likes. */
export function documentToFlow(doc: ScenarioDocument): FlowGraph & { missingPositions: boolean } {
  const layout = doc.layout ?? {};
  let missingPositions = false;
  const nodes = doc.nodes.map((n, i) => {
    const at = layout[n.id];
    if (!at) missingPositions = true;
    return flowNode(n, at ? { x: at.x, y: at.y } : { x: 0, y: i * 120 });
  });
  return { nodes, edges: doc.edges.map(flowEdge), missingPositions };
}

export function flowToDocument(
  nodes: FlowNode[],
  edges: FlowEdge[],
  settings: Record<string, unknown> | undefined,
): ScenarioDocument {
  const layout: Record<string, { x: number; y: number }> = {};
  const docNodes: ScenarioNode[] = nodes.map((n) => {
    layout[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
    const out: ScenarioNode = {
      id: n.id,
      type: n.data.typeKey,
      type_version: n.data.typeVersion,
      config: n.data.config ?? {},
    };
    if (n.data.label) out.label = n.data.label;
    return out;
  });
  const docEdges: ScenarioEdge[] = edges.map((e) => ({
    id: e.id,
    source: e.source,
    source_port: e.sourceHandle ?? "next",
    target: e.target,
    target_port: e.targetHandle ?? "in",
  }));
  return {
    schema_version: 1,
    nodes: docNodes,
    edges: docEdges,
    settings: settings ?? { ...DEFAULT_SETTINGS },
    layout,
  };
}
