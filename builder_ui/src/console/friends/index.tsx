// The Friends area: the friend list at /w/{id}/friends, a friend's page at /w/{id}/friends/{friendId}.
import { useTranslation } from "react-i18next";
import type { SectionProps } from "../sections";
import { FriendList } from "./FriendList";
import { FriendPage } from "./FriendPage";
import "./friends.css";

function FriendsSection({ access, rest }: SectionProps) {
  const { t } = useTranslation();
  if (rest.length === 0 || rest[0] === "") return <FriendList access={access} />;
  const friendId = /^[1-9][0-9]{0,17}$/.test(rest[0]) ? Number(rest[0]) : null;
  if (friendId === null || rest.length > 1) return <p className="empty">{t("layout.page_not_found")}</p>;
  return <FriendPage key={friendId} access={access} friendId={friendId} />;
}

/** Loaded when the area is first opened (console/sections.ts). */
export default FriendsSection;
