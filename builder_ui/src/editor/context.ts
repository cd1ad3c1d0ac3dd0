import { createContext, useContext } from "react";
import type { NodeTypeDef, Problem } from "../types";

export interface DryMark {
  order: number[]; // the positions of this node in the path (1-based)
  at: string[]; // when it ran, in the same order
}

export interface EditorShared {
  types: Map<string, NodeTypeDef>;
  problemsByNode: Map<string, Problem[]>;
  dryRun: Map<string, DryMark>;
  waitingByNode: Record<string, number>;
  /** Runs held at a node by quiet hours, and when the first goes on. */
  heldByNode?: Record<string, { count: number; until: string }>;
  timezone: string;
}

export const EditorContext = createContext<EditorShared>({
  types: new Map(),
  problemsByNode: new Map(),
  dryRun: new Map(),
  waitingByNode: {},
  timezone: "Asia/Tokyo",
});

export const useEditor = () => useContext(EditorContext);
