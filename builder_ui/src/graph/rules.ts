// The connection rules the server checks, applied while drawing: a port exists on both ends, a trigger takes
// no input, an output port leads to one node only, the source's allowed_targets, and no edge to itself.
import type { NodeTypeDef } from "../types";
import type { FlowEdge, FlowNode } from "./document";

export interface Attempt {
  source: string | null;
  target: string | null;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export type Refusal =
  | "self"
  | "unknown_node"
  | "no_output"
  | "trigger_input"
  | "no_input"
  | "port_taken"
  | "not_allowed";

export function connectionRefusal(
  attempt: Attempt,
  nodes: FlowNode[],
  edges: FlowEdge[],
  types: Map<string, NodeTypeDef>,
): Refusal | null {
  if (!attempt.source || !attempt.target) return "unknown_node";
  if (attempt.source === attempt.target) return "self";
  const source = nodes.find((n) => n.id === attempt.source);
  const target = nodes.find((n) => n.id === attempt.target);
  if (!source || !target) return "unknown_node";
  const sourceType = types.get(source.data.typeKey);
  const targetType = types.get(target.data.typeKey);
  if (!sourceType || !targetType) return "unknown_node";
  const port = attempt.sourceHandle ?? sourceType.outputs[0]?.name;
  if (!port || !sourceType.outputs.some((p) => p.name === port)) return "no_output";
  if (targetType.kind === "trigger" || targetType.inputs.length === 0) return "trigger_input";
  const input = attempt.targetHandle ?? targetType.inputs[0]?.name;
  if (!input || !targetType.inputs.some((p) => p.name === input)) return "no_input";
  if (edges.some((e) => e.source === attempt.source && (e.sourceHandle ?? "next") === port)) return "port_taken";
  if (sourceType.allowed_targets && !sourceType.allowed_targets.includes(targetType.key)) return "not_allowed";
  return null;
}

export function typesByKey(nodeTypes: NodeTypeDef[]): Map<string, NodeTypeDef> {
  return new Map(nodeTypes.map((t) => [t.key, t]));
}
