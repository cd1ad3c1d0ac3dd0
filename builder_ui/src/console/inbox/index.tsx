import type { SectionProps } from "../sections";
import { InboxPage } from "./InboxPage";

// /w/{id}/inbox (conversations) and /w/{id}/inbox/{friendId} (one of them open).
function InboxSection({ access, rest }: SectionProps) {
  const friendId = rest[0] && /^\d+$/.test(rest[0]) ? Number(rest[0]) : null;
  return <InboxPage access={access} friendId={friendId} />;
}

/** Loaded when the area is first opened (console/sections.ts). */
export default InboxSection;
export { ChatThread } from "./ChatThread";
