// The step list: a linear scenario (trigger → [wait →] action → [wait →] action …) seen as timed steps
// ("Day 0 now", "Day 1 10:00", "Day 3 20:00"), edited as such and written back as the same graph.
import type { NodeTypeDef } from "../types";
import type { FlowEdge, FlowNode } from "./document";
import { flowNode, newId } from "./document";

export const WAIT_AT = "core.wait_until_time";
export const WAIT_AFTER = "core.wait_delay";

export type Timing =
  | { kind: "now" }
  | { kind: "at"; day: number; time: string } // the day counted from the start (Day 0), at a time of day
  | { kind: "after"; days: number; hours: number; minutes: number }; // a delay after the step before

export interface Step {
  waitId?: string;
  timing: Timing;
  action: FlowNode;
}

export interface StepList {
  trigger: FlowNode;
  steps: Step[];
}

export type NotLinear = { reason: "empty" | "triggers" | "branches" | "kinds" | "unreached" };

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function graphToSteps(
  nodes: FlowNode[],
  edges: FlowEdge[],
  types: Map<string, NodeTypeDef>,
): StepList | NotLinear {
  if (nodes.length === 0) return { reason: "empty" };
  const kind = (n: FlowNode) => types.get(n.data.typeKey)?.kind;
  const triggers = nodes.filter((n) => kind(n) === "trigger");
  if (triggers.length !== 1) return { reason: "triggers" };
  const out = new Map<string, FlowEdge[]>();
  const incoming = new Map<string, number>();
  for (const e of edges) {
    out.set(e.source, [...(out.get(e.source) ?? []), e]);
    incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const chain: FlowNode[] = [];
  const seen = new Set<string>();
  let current: FlowNode | undefined = triggers[0];
  while (current) {
    if (seen.has(current.id)) return { reason: "branches" };
    seen.add(current.id);
    chain.push(current);
    const next: FlowEdge[] = out.get(current.id) ?? [];
    if (next.length > 1) return { reason: "branches" };
    current = next.length ? byId.get(next[0].target) : undefined;
    if (current && (incoming.get(current.id) ?? 0) > 1) return { reason: "branches" };
  }
  if (chain.length !== nodes.length) return { reason: "unreached" };

  const steps: Step[] = [];
  let day = 0;
  for (let i = 1; i < chain.length; i++) {
    const node = chain[i];
    if (kind(node) === "action") {
      steps.push({ timing: { kind: "now" }, action: node });
      continue;
    }
    const action = chain[i + 1];
    if (!action || kind(action) !== "action") return { reason: "kinds" };
    const c = node.data.config;
    let timing: Timing;
    if (node.data.typeKey === WAIT_AT) {
      day += num(c.days_after);
      timing = { kind: "at", day, time: typeof c.time === "string" ? c.time : "10:00" };
    } else if (node.data.typeKey === WAIT_AFTER) {
      day += num(c.days);
      timing = { kind: "after", days: num(c.days), hours: num(c.hours), minutes: num(c.minutes) };
    } else {
      return { reason: "kinds" };
    }
    steps.push({ waitId: node.id, timing, action });
    i += 1;
  }
  return { trigger: chain[0], steps };
}

export function isStepList(value: StepList | NotLinear): value is StepList {
  return "trigger" in value;
}

function waitNode(step: Step, dayBefore: number, types: Map<string, NodeTypeDef>): FlowNode | null {
  const t = step.timing;
  if (t.kind === "now") return null;
  const key = t.kind === "at" ? WAIT_AT : WAIT_AFTER;
  const config =
    t.kind === "at"
      ? { days_after: Math.max(0, t.day - dayBefore), time: t.time }
      : { days: t.days, hours: t.hours, minutes: t.minutes };
  return flowNode(
    { id: step.waitId ?? newId(), type: key, type_version: types.get(key)?.version ?? 1, config },
    { x: 0, y: 0 },
  );
}

/** The day a step happens on, counted from Day 0 (for the list and for the day a new step starts from). */
export function dayAfter(step: Step, dayBefore: number): number {
  const t = step.timing;
  if (t.kind === "at") return Math.max(dayBefore, t.day);
  if (t.kind === "after") return dayBefore + t.days;
  return dayBefore;
}

export const STEP_GAP = 130;

export function stepsToGraph(
  list: StepList,
  types: Map<string, NodeTypeDef>,
  oldEdges: FlowEdge[] = [],
): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const chain: FlowNode[] = [list.trigger];
  let day = 0;
  for (const step of list.steps) {
    const wait = waitNode(step, day, types);
    if (wait) chain.push(wait);
    chain.push(step.action);
    day = dayAfter(step, day);
  }
  const x = list.trigger.position.x;
  const y0 = list.trigger.position.y;
  const nodes = chain.map((n, i) => ({ ...n, position: { x, y: y0 + i * STEP_GAP } }));
  const edges: FlowEdge[] = [];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const a = nodes[i];
    const b = nodes[i + 1];
    const sourceHandle = types.get(a.data.typeKey)?.outputs[0]?.name ?? "next";
    const targetHandle = types.get(b.data.typeKey)?.inputs[0]?.name ?? "in";
    const kept = oldEdges.find((e) => e.source === a.id && e.target === b.id && e.sourceHandle === sourceHandle);
    edges.push({ id: kept?.id ?? newId(), source: a.id, sourceHandle, target: b.id, targetHandle });
  }
  return { nodes, edges };
}
