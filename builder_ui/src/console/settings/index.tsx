// The settings area: a menu of pages on the left (/w/{id}/settings/{page}), the page on the right. Besides the
// console's own pages, the menu lists what the workspace's enabled plugins bring: their resources (drawn by
// the generic resource page) and the settings pages their UI modules contribute.
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { localized } from "../../i18n";
import { useCatalog } from "../../platform/catalog";
import { useContributions, useUiModules } from "../../platform/modules";
import { ResourcePage } from "../../platform/resources/ResourcePage";
import { sectionUrl, type SectionProps } from "../sections";
import { AuditPage } from "./AuditPage";
import { pageFor, pagePath, settingsPages, type SettingsPage } from "./pages";
import { PluginsPage } from "./PluginsPage";
import { RolesPage, StaffPage } from "./StaffPage";
import { WorkspacePage } from "./WorkspacePage";
import "./settings.css";

function SettingsSection({ access, rest, reloadAccess }: SectionProps) {
  const { t, i18n } = useTranslation();
  const catalog = useCatalog();
  const contributions = useContributions("settingsPage");
  const modules = useUiModules();
  const pages = useMemo(
    () => settingsPages(catalog?.resources ?? [], contributions, access.permissions),
    [catalog, contributions, access.permissions],
  );
  const choice = pageFor(pages, rest, {
    catalog: catalog !== null,
    modules: catalog !== null && (catalog.ui_modules.length === 0 || modules.ready),
    withModules: catalog?.ui_modules.map((m) => m.plugin) ?? [],
  });
  const current = choice.state === "page" ? choice.page.key : null;
  const link = (key: string) => sectionUrl(access.workspace.id, "settings", ...pagePath(key));
  const title = (p: SettingsPage) => (p.title ? localized(p.title, i18n.language) : t(`settings.pages.${p.key}`));
  const props = { access, reloadAccess };

  let content: JSX.Element;
  if (choice.state === "loading") content = <p className="loading">{t("common.loading")}</p>;
  else if (choice.state === "hidden") content = <p className="empty">{t("settings.plugin_off")}</p>;
  else {
    const { page } = choice;
    if (page.contribution) {
      const Coded = page.contribution.slot.component;
      content = <Coded workspaceId={access.workspace.id} permissions={access.permissions} rest={choice.rest} />;
    } else if (page.resource) {
      content = <ResourcePage resource={page.resource} workspaceId={access.workspace.id} permissions={access.permissions} />;
    } else if (page.key === "plugins") content = <PluginsPage {...props} />;
    else if (page.key === "staff") content = <StaffPage {...props} />;
    else if (page.key === "roles") content = <RolesPage {...props} />;
    else if (page.key === "audit") content = <AuditPage {...props} />;
    else content = <WorkspacePage {...props} />;
  }
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
                <Link
                  key={p.key}
                  aria-current={p.key === current ? "page" : undefined}
                  to={link(p.key)}
                >
                  {title(p)}
                </Link>
              ))}
          </div>
        ))}
      </nav>
      <div className="settings-body" key={current ?? choice.state}>
        {content}
      </div>
    </div>
  );
}

/** Loaded when the area is first opened (console/sections.ts). */
export default SettingsSection;
