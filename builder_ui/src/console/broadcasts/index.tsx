import type { SectionProps } from "../sections";
import { BroadcastComposer } from "./BroadcastComposer";
import { BroadcastList } from "./BroadcastList";
import { BroadcastPage } from "./BroadcastPage";
import { DraftPage } from "./DraftPage";

// /w/{id}/broadcasts (drafts and history), …/broadcasts/new (composer), …/broadcasts/drafts/{draftId} (a draft in
// the composer), …/broadcasts/{broadcastId} (one, with its progress).
function BroadcastsSection({ access, rest }: SectionProps) {
  if (rest[0] === "new") return <BroadcastComposer access={access} />;
  if (rest[0] === "drafts" && rest[1] && /^\d+$/.test(rest[1])) return <DraftPage key={rest[1]} access={access} draftId={Number(rest[1])} />;
  if (rest[0] && /^\d+$/.test(rest[0])) return <BroadcastPage key={rest[0]} access={access} broadcastId={Number(rest[0])} />;
  return <BroadcastList access={access} />;
}

/** Loaded when the area is first opened (console/sections.ts). */
export default BroadcastsSection;
