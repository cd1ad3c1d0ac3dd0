import type { Section, SectionProps } from "../sections";
import { InboxPage } from "./InboxPage";

// /w/{id}/inbox (conversations) and /w/{id}/inbox/{friendId} (one of them open).
function InboxSection({ access, rest }: SectionProps) {
  const friendId = rest[0] && /^\d+$/.test(rest[0]) ? Number(rest[0]) : null;
  return <InboxPage access={access} friendId={friendId} />;
}

export const inboxSection: Section = { key: "inbox", label: "inbox.title", component: InboxSection };
export { ChatThread } from "./ChatThread";
