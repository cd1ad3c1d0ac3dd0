import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, setCsrfToken } from "./api";
import { LANGUAGES, localized, setLanguage, type Language } from "./i18n";
import { LoginPage } from "./pages/LoginPage";
import { AccountPanel } from "./console/account/AccountPanel";
import { Invitations } from "./console/account/Invitations";
import {
  findSection,
  pluginSections,
  SECTIONS_AFTER_PLUGINS,
  SECTIONS_AFTER_SCENARIOS,
  SECTIONS_BEFORE_SCENARIOS,
  sectionUrl,
  type Section,
} from "./console/sections";
import { CatalogProvider } from "./platform/catalog";
import { UiModuleProblems, UiModulesProvider, useContributions, useUiModules } from "./platform/modules";
import { queryClient, queryKeys } from "./query";
import { navigate, parseRoute, usePath } from "./router";
import type { Me, WorkspaceAccess, WorkspaceSummary } from "./types";

// Pages with heavy libraries (the canvas, the agency's forms) are chunks of their own, read when first opened.
const ScenarioEditor = lazy(() => import("./pages/ScenarioEditor").then((m) => ({ default: m.ScenarioEditor })));
const ScenarioList = lazy(() => import("./pages/ScenarioList").then((m) => ({ default: m.ScenarioList })));
const AgencyPage = lazy(() => import("./console/agency").then((m) => ({ default: m.AgencyPage })));

export function App() {
  const { t } = useTranslation();
  const path = usePath();
  const route = parseRoute(path);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [workspaces, setWorkspaces] = useState<WorkspaceSummary[]>([]);
  const [showAccount, setShowAccount] = useState(false);

  const loadSession = useCallback(async () => {
    try {
      const who = await api.get<Me>("/api/auth/me");
      setCsrfToken(who.csrf_token);
      // Direct memberships and every workspace of the user's agencies.
      setWorkspaces(await api.get<WorkspaceSummary[]>("/api/workspaces"));
      setMe(who);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setMe(null);
      else throw error;
    }
  }, []);

  useEffect(() => {
    void loadSession();
  }, [loadSession]);

  useEffect(() => {
    if (me === null && route.name !== "login") navigate("/login", true);
    if (me && (route.name === "home" || route.name === "login") && workspaces.length > 0) {
      navigate(`/w/${workspaces[0].id}/friends`, true);
    }
    // No workspace yet: an agency's staff (or a platform admin) starts where client workspaces are made.
    if (me && route.name === "login" && workspaces.length === 0) {
      const agencyStaff = me.user.is_platform_admin || me.memberships.some((m) => m.scope === "agency");
      navigate(agencyStaff ? "/agency" : "/", true);
    }
  }, [me, route.name, workspaces]);

  const workspaceId = "workspaceId" in route ? route.workspaceId : workspaces[0]?.id;

  // The role, permissions and enabled plugins of the workspace being looked at (the last workspace's stays
  // while another is read; the page below waits for the one it shows).
  const accessQuery = useQuery(
    {
      queryKey: [...queryKeys.workspace(workspaceId ?? 0), "access"],
      queryFn: ({ signal }) => api.get<WorkspaceAccess>(`/api/workspaces/${workspaceId}`, signal),
      enabled: Boolean(me) && workspaceId !== undefined,
      placeholderData: keepPreviousData,
    },
    queryClient,
  );
  const access = accessQuery.data ?? null;
  const accessError = accessQuery.isError;
  // After plugins or roles changed: everything read for the workspace is read again (access, catalog, lists).
  const reloadAccess = useCallback(() => {
    if (workspaceId !== undefined) void queryClient.invalidateQueries({ queryKey: queryKeys.workspace(workspaceId) });
  }, [workspaceId]);

  if (me === undefined) return <div className="loading">{t("common.loading")}</div>;
  if (me === null || route.name === "login") {
    // Another person may sign in here: nothing read for the last one is shown to them.
    return <LoginPage onLoggedIn={() => (queryClient.clear(), loadSession())} />;
  }

  const logout = async () => {
    await api.post("/api/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    queryClient.clear();
    setMe(null);
    navigate("/login");
  };

  let content: JSX.Element;
  // The agency view needs no workspace: it is where an agency's first client workspace is made.
  if (route.name === "agency") content = <AgencyPage />;
  else if (workspaces.length === 0) content = <p className="empty">{t("layout.no_workspaces")}</p>;
  else if (accessError) content = <p className="empty">{t("layout.not_found")}</p>;
  else if (!access || access.workspace.id !== workspaceId) content = <p className="loading">{t("common.loading")}</p>;
  else if (route.name === "scenario")
    content = <ScenarioEditor key={route.scenarioId} access={access} scenarioId={route.scenarioId} />;
  else if (route.name === "section") {
    const section = findSection(route.section);
    const Page = section?.component;
    content = Page ? (
      <Page key={route.section} access={access} rest={route.rest} reloadAccess={reloadAccess} />
    ) : (
      <PluginSectionPage key={route.section} access={access} sectionKey={route.section} rest={route.rest} />
    );
  } else content = <ScenarioList access={access} />;

  const sectionLink = (section: Section) =>
    (!section.permission || access?.permissions.includes(section.permission)) &&
    access && (
      <a
        key={section.key}
        href={sectionUrl(access.workspace.id, section.key)}
        aria-current={route.name === "section" && route.section === section.key ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate(sectionUrl(access.workspace.id, section.key));
        }}
      >
        {t(section.label)}
      </a>
    );

  const page = (
    <div className="app">
      <header className="topbar">
        <span className="brand">縁 Enishi</span>
        {workspaces.length > 0 && (
          <label className="workspace-switch">
            <span className="visually-hidden">{t("layout.workspace")}</span>
            <select
              aria-label={t("layout.workspace")}
              value={workspaceId ?? ""}
              onChange={(e) => {
                // Stay in the same area when switching workspaces (a friend's page does not carry over).
                const area = route.name === "section" ? route.section : "scenarios";
                navigate(`/w/${e.target.value}/${area}`);
              }}
            >
              {workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <nav className="mainnav" aria-label={t("layout.navigation")}>
          {access && access.workspace.id === workspaceId && SECTIONS_BEFORE_SCENARIOS.map(sectionLink)}
          {access && access.workspace.id === workspaceId && (
            <a
              href={`/w/${access.workspace.id}/scenarios`}
              aria-current={route.name === "scenarios" || route.name === "scenario" ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/w/${access.workspace.id}/scenarios`);
              }}
            >
              {t("nav.scenarios")}
            </a>
          )}
          {access && access.workspace.id === workspaceId && SECTIONS_AFTER_SCENARIOS.map(sectionLink)}
          {access && access.workspace.id === workspaceId && (
            <PluginSectionLinks access={access} current={route.name === "section" ? route.section : null} />
          )}
          {access && access.workspace.id === workspaceId && SECTIONS_AFTER_PLUGINS.map(sectionLink)}
        </nav>
        <span className="spacer" />
        <a
          href="/agency"
          className="agency-link"
          aria-current={route.name === "agency" ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            navigate("/agency");
          }}
        >
          {t("agency.title")}
        </a>
        <LanguageSwitch />
        <button type="button" className="link user" aria-expanded={showAccount} onClick={() => setShowAccount((v) => !v)}>
          {me.user.display_name}
        </button>
        <button type="button" className="link" onClick={logout}>
          {t("layout.logout")}
        </button>
      </header>
      <main className="content">
        {/* Workspaces that invite this person: they join by accepting (then the workspace list is read again). */}
        <Invitations onAnswered={() => void loadSession()} />
        {showAccount && <AccountPanel onClose={() => setShowAccount(false)} />}
        {access && access.workspace.id === workspaceId && <UiModuleProblems />}
        <Suspense fallback={<p className="loading">{t("common.loading")}</p>}>{content}</Suspense>
      </main>
    </div>
  );
  // The workspace's catalog and its plugins' UI modules, for the menu as for the page (another workspace's
  // catalog never answers: the provider reads the one of the workspace in `access`).
  return access ? (
    <CatalogProvider workspaceId={access.workspace.id}>
      <UiModulesProvider>{page}</UiModulesProvider>
    </CatalogProvider>
  ) : (
    page
  );
}

/** The menu links of plugins' sections (menuSection) the role may see. */
function PluginSectionLinks({ access, current }: { access: WorkspaceAccess; current: string | null }) {
  const { i18n } = useTranslation();
  const sections = pluginSections(useContributions("menuSection")).filter(
    ({ slot }) => !slot.permission || access.permissions.includes(slot.permission),
  );
  return (
    <>
      {sections.map(({ plugin, slot }) => (
        <a
          key={slot.key}
          href={sectionUrl(access.workspace.id, slot.key)}
          data-plugin={plugin}
          aria-current={current === slot.key ? "page" : undefined}
          onClick={(e) => {
            e.preventDefault();
            navigate(sectionUrl(access.workspace.id, slot.key));
          }}
        >
          {localized(slot.title, i18n.language)}
        </a>
      ))}
    </>
  );
}

/** A plugin's section at /w/{id}/{key}/{rest…}; while the workspace's modules load, a loading line. */
function PluginSectionPage({ access, sectionKey, rest }: { access: WorkspaceAccess; sectionKey: string; rest: string[] }) {
  const { t } = useTranslation();
  const { ready } = useUiModules();
  const found = pluginSections(useContributions("menuSection")).find(({ slot }) => slot.key === sectionKey);
  if (!found) return ready ? <p className="empty">{t("layout.page_not_found")}</p> : <p className="loading">{t("common.loading")}</p>;
  if (found.slot.permission && !access.permissions.includes(found.slot.permission)) {
    return <p className="empty">{t("layout.page_not_found")}</p>;
  }
  const Page = found.slot.component;
  return <Page workspaceId={access.workspace.id} permissions={access.permissions} rest={rest} />;
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <select
      aria-label={t("layout.language")}
      value={i18n.language}
      onChange={(e) => setLanguage(e.target.value as Language)}
    >
      {LANGUAGES.map((lang) => (
        <option key={lang} value={lang}>
          {t(`language.${lang}`)}
        </option>
      ))}
    </select>
  );
}
