// The settings area: a menu of pages on the left (/w/{id}/settings/{page}), the page on the right. Pages of
// plugins switched off in the workspace are not listed.
import { useTranslation } from "react-i18next";
import { navigate } from "../../router";
import { sectionUrl, type Section, type SectionProps } from "../sections";
import { FieldsPage } from "./FieldsPage";
import { InflowPage } from "./InflowPage";
import { MarksPage } from "./MarksPage";
import { MemberCardPage } from "./MemberCardPage";
import { pageFor, visiblePages } from "./pages";
import { PluginsPage } from "./PluginsPage";
import { PoolsPage } from "./PoolsPage";
import { RolesPage, StaffPage } from "./StaffPage";
import { TagsPage } from "./TagsPage";
import { WorkspacePage } from "./WorkspacePage";
import "./settings.css";

function SettingsSection({ access, rest, reloadAccess }: SectionProps) {
  const { t } = useTranslation();
  const pages = visiblePages(access);
  const { page, hidden } = pageFor(access, rest);
  const link = (key: string) => sectionUrl(access.workspace.id, "settings", key);
  const props = { access, reloadAccess };
  let content: JSX.Element;
  if (hidden) content = <p className="empty">{t("settings.plugin_off")}</p>;
  else if (page.key === "tags") content = <TagsPage {...props} />;
  else if (page.key === "marks") content = <MarksPage {...props} />;
  else if (page.key === "fields") content = <FieldsPage {...props} />;
  else if (page.key === "inflow") content = <InflowPage {...props} />;
  else if (page.key === "pools") content = <PoolsPage {...props} />;
  else if (page.key === "member_card") content = <MemberCardPage {...props} />;
  else if (page.key === "plugins") content = <PluginsPage {...props} />;
  else if (page.key === "staff") content = <StaffPage {...props} />;
  else if (page.key === "roles") content = <RolesPage {...props} />;
  else content = <WorkspacePage {...props} />;
  return (
    <div className="settings">
      <nav className="settings-nav" aria-label={t("settings.menu")}>
        <h1>{t("settings.title")}</h1>
        {(["data", "workspace"] as const).map((group) => (
          <div key={group} className="settings-nav-group">
            <h2>{t(`settings.groups.${group}`)}</h2>
            {pages
              .filter((p) => p.group === group)
              .map((p) => (
                <a
                  key={p.key}
                  href={link(p.key)}
                  aria-current={p.key === page.key && !hidden ? "page" : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(link(p.key));
                  }}
                >
                  {t(`settings.pages.${p.key}`)}
                </a>
              ))}
          </div>
        ))}
      </nav>
      <div className="settings-body" key={page.key}>
        {content}
      </div>
    </div>
  );
}

export const settingsSection: Section = { key: "settings", label: "settings.title", component: SettingsSection };
