// A segment (schemas/segment.schema.json): nested all / any / not groups of conditions. These pure functions
// edit a draft of it by path, and turn the draft into what the server takes (empty groups left out).

export interface SegmentCondition {
  type: string;
  type_version?: number;
  config: Record<string, unknown>;
}
export type SegmentGroup = { all: Segment[] } | { any: Segment[] } | { not: Segment };
export type Segment = SegmentGroup | SegmentCondition;

/** A step into a segment: an item of an all / any list, or the inside of a not. */
export type Step = number | "not";
export type Path = Step[];

export const EMPTY: Segment = { all: [] };

export const isCondition = (s: Segment): s is SegmentCondition => "type" in s;
export const isNot = (s: Segment): s is { not: Segment } => "not" in s;
export const modeOf = (s: Segment): "all" | "any" | null => ("all" in s ? "all" : "any" in s ? "any" : null);
export const itemsOf = (s: Segment): Segment[] => ("all" in s ? s.all : "any" in s ? s.any : []);

export function getAt(root: Segment, path: Path): Segment {
  let node = root;
  for (const step of path) {
    if (step === "not") {
      if (!isNot(node)) throw new Error("no not here");
      node = node.not;
    } else {
      const item = itemsOf(node)[step];
      if (!item) throw new Error(`no item ${step}`);
      node = item;
    }
  }
  return node;
}

/** The segment with the node at ``path`` replaced by ``fn(node)``; null from fn removes it from its list. */
export function updateAt(root: Segment, path: Path, fn: (node: Segment) => Segment | null): Segment {
  if (path.length === 0) return fn(root) ?? EMPTY;
  const [step, ...rest] = path;
  if (step === "not") {
    if (!isNot(root)) throw new Error("no not here");
    const inner = rest.length === 0 ? fn(root.not) : updateAt(root.not, rest, fn);
    return inner === null ? EMPTY : { not: inner };
  }
  const mode = modeOf(root);
  if (!mode) throw new Error("not a group");
  const items = itemsOf(root).slice();
  if (rest.length === 0) {
    const replaced = fn(items[step]);
    if (replaced === null) items.splice(step, 1);
    else items[step] = replaced;
  } else {
    items[step] = updateAt(items[step], rest, fn);
  }
  return { [mode]: items } as SegmentGroup;
}

/** The all / any group a path points at, looking through nots. */
function groupPath(root: Segment, path: Path): Path {
  const p = [...path];
  while (isNot(getAt(root, p))) p.push("not");
  if (!modeOf(getAt(root, p))) throw new Error("not a group");
  return p;
}

export function addItem(root: Segment, path: Path, item: Segment): Segment {
  return updateAt(root, groupPath(root, path), (g) => ({ [modeOf(g)!]: [...itemsOf(g), item] }) as SegmentGroup);
}

export function removeAt(root: Segment, path: Path): Segment {
  if (path.length === 0) return EMPTY;
  // Removing something wrapped in not removes the not too.
  let p = path;
  while (p.length > 0 && p[p.length - 1] === "not") p = p.slice(0, -1);
  if (p.length === 0) return EMPTY;
  return updateAt(root, p, () => null);
}

export function setMode(root: Segment, path: Path, mode: "all" | "any"): Segment {
  return updateAt(root, groupPath(root, path), (g) => ({ [mode]: itemsOf(g) }) as SegmentGroup);
}

/** Wraps the node in not, or takes one not off. */
export function toggleNot(root: Segment, path: Path): Segment {
  return updateAt(root, path, (n) => (isNot(n) ? n.not : { not: n }));
}

export function setConfig(root: Segment, path: Path, config: Record<string, unknown>): Segment {
  return updateAt(root, path, (n) => (isCondition(n) ? { ...n, config } : n));
}

/** What the server takes: groups with nothing in them left out; null when nothing is left (every friend). */
export function cleanSegment(node: Segment): Segment | null {
  if (isCondition(node)) return node;
  if (isNot(node)) {
    const inner = cleanSegment(node.not);
    return inner === null ? null : { not: inner };
  }
  const mode = modeOf(node)!;
  const items = itemsOf(node)
    .map(cleanSegment)
    .filter((s): s is Segment => s !== null);
  return items.length ? ({ [mode]: items } as SegmentGroup) : null;
}

/** A draft to edit: a segment from the server always shows as an all / any group (a bare condition is put in
 * an "all" group, a not around a group stays as it is). */
export function draftOf(segment: Segment | null): Segment {
  if (!segment) return EMPTY;
  if (modeOf(segment)) return segment;
  if (isNot(segment) && modeOf(segment.not)) return segment;
  return { all: [segment] };
}

/** The condition types a segment uses (to label them, or to tell one no longer offered). */
export function conditionTypes(node: Segment | null): string[] {
  if (!node) return [];
  if (isCondition(node)) return [node.type];
  if (isNot(node)) return conditionTypes(node.not);
  return itemsOf(node).flatMap(conditionTypes);
}
