import { useTranslation } from "react-i18next";
import type { Section, SectionProps } from "../sections";

function FriendsSection(_props: SectionProps) {
  const { t } = useTranslation();
  return <h1>{t("friends.title")}</h1>;
}

export const friendsSection: Section = { key: "friends", label: "friends.title", component: FriendsSection };
