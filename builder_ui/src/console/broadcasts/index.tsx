import type { SectionProps } from "../sections";
import { BroadcastComposer } from "./BroadcastComposer";
import { BroadcastList } from "./BroadcastList";
import { BroadcastPage } from "./BroadcastPage";

// /w/{id}/broadcasts (history), …/broadcasts/new (composer), …/broadcasts/{broadcastId} (one, with its progress).
function BroadcastsSection({ access, rest }: SectionProps) {
  if (rest[0] === "new") return <BroadcastComposer access={access} />;
  if (rest[0] && /^\d+$/.test(rest[0])) return <BroadcastPage key={rest[0]} access={access} broadcastId={Number(rest[0])} />;
  return <BroadcastList access={access} />;
}

/** Loaded when the area is first opened (console/sections.ts). */
export default BroadcastsSection;
