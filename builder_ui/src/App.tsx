import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from "react";
import { Button, Select } from "antd";
import { useTranslation } from "react-i18next";
import { Navigate, NavLink, Outlet, useLocation, useMatch, useNavigate, useOutletContext, useParams } from "react-router";
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
import type { Me, WorkspaceAccess, WorkspaceSummary } from "./types";

// Pages with heavy libraries (the canvas, the agency's forms) are chunks of their own, read when first opened.
const ScenarioEditor = lazy(() => import("./pages/ScenarioEditor").then((m) => ({ default: m.ScenarioEditor })));
const ScenarioList = lazy(() => import("./pages/ScenarioList").then((m) => ({ default: m.ScenarioList })));

/** What the frame knows that each route's page needs: the workspaces, and the one being looked at. */
interface ConsoleFrame {
  workspaces: WorkspaceSummary[];
  /** The workspace of the path (/w/{id}/…); undefined when the path names none or names one wrongly. */
  workspaceId: number | undefined;
  access: WorkspaceAccess | null;
  accessError: boolean;
  reloadAccess: () => void;
}

/** The console's frame (sign-in, the top bar, the workspace's catalog and plugin modules) around the page of
 * the route, drawn into its <Outlet>. */
export function App() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const onLogin = pathname === "/login";
  const workspaceParam = useMatch("/w/:workspaceId/*")?.params.workspaceId;
  const area = useMatch("/w/:workspaceId/:section/*")?.params.section;
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
    if (me === null && !onLogin) navigate("/login", { replace: true });
    if (me && onLogin && workspaces.length > 0) navigate(`/w/${workspaces[0].id}/friends`, { replace: true });
    // No workspace yet: an agency's staff (or a platform admin) starts where client workspaces are made.
    if (me && onLogin && workspaces.length === 0) {
      const agencyStaff = me.user.is_platform_admin || me.memberships.some((m) => m.scope === "agency");
      navigate(agencyStaff ? "/agency" : "/", { replace: true });
    }
  }, [me, onLogin, workspaces, navigate]);

  // A path outside the workspaces (/agency) keeps the menu of the first one; /w/abc/… names none.
  const workspaceId =
    workspaceParam === undefined ? workspaces[0]?.id : /^\d+$/.test(workspaceParam) ? Number(workspaceParam) : undefined;

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
  if (me === null || onLogin) {
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
  const frame: ConsoleFrame = {
    workspaces,
    workspaceId: workspaceParam === undefined ? undefined : workspaceId,
    access,
    accessError,
    reloadAccess,
  };

  const sectionLink = (section: Section) =>
    (!section.permission || access?.permissions.includes(section.permission)) &&
    access && (
      <NavLink key={section.key} to={sectionUrl(access.workspace.id, section.key)}>
        {t(section.label)}
      </NavLink>
    );

  const page = (
    <div className="app">
      <header className="topbar">
        <span className="brand">縁 Enishi</span>
        {workspaces.length > 0 && (
          <Select
            className="workspace-switch"
            aria-label={t("layout.workspace")}
            value={workspaceId}
            popupMatchSelectWidth={false}
            // Stay in the same area when switching workspaces (a friend's page does not carry over).
            onChange={(id: number) => navigate(`/w/${id}/${area ?? "scenarios"}`)}
            options={workspaces.map((w) => ({ value: w.id, label: w.name }))}
          />
        )}
        <nav className="mainnav" aria-label={t("layout.navigation")}>
          {access && access.workspace.id === workspaceId && SECTIONS_BEFORE_SCENARIOS.map(sectionLink)}
          {access && access.workspace.id === workspaceId && (
            <NavLink to={`/w/${access.workspace.id}/scenarios`}>{t("nav.scenarios")}</NavLink>
          )}
          {access && access.workspace.id === workspaceId && SECTIONS_AFTER_SCENARIOS.map(sectionLink)}
          {access && access.workspace.id === workspaceId && (
            <PluginSectionLinks access={access} />
          )}
          {access && access.workspace.id === workspaceId && SECTIONS_AFTER_PLUGINS.map(sectionLink)}
        </nav>
        <span className="spacer" />
        <NavLink to="/agency" className="agency-link">
          {t("agency.title")}
        </NavLink>
        <LanguageSwitch />
        <Button type="link" className="user" aria-expanded={showAccount} onClick={() => setShowAccount((v) => !v)}>
          {me.user.display_name}
        </Button>
        <Button type="link" onClick={logout}>
          {t("layout.logout")}
        </Button>
      </header>
      <main className="content">
        {/* Workspaces that invite this person: they join by accepting (then the workspace list is read again). */}
        <Invitations onAnswered={() => void loadSession()} />
        {showAccount && <AccountPanel onClose={() => setShowAccount(false)} />}
        {access && access.workspace.id === workspaceId && <UiModuleProblems />}
        <Suspense fallback={<p className="loading">{t("common.loading")}</p>}>
          <Outlet context={frame} />
        </Suspense>
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
function PluginSectionLinks({ access }: { access: WorkspaceAccess }) {
  const { i18n } = useTranslation();
  const sections = pluginSections(useContributions("menuSection")).filter(
    ({ slot }) => !slot.permission || access.permissions.includes(slot.permission),
  );
  return (
    <>
      {sections.map(({ plugin, slot }) => (
        <NavLink key={slot.key} to={sectionUrl(access.workspace.id, slot.key)} data-plugin={plugin}>
          {localized(slot.title, i18n.language)}
        </NavLink>
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
    <Select
      className="language-switch"
      aria-label={t("layout.language")}
      value={i18n.language as Language}
      popupMatchSelectWidth={false}
      onChange={(lang: Language) => setLanguage(lang)}
      options={LANGUAGES.map((lang) => ({ value: lang, label: t(`language.${lang}`) }))}
    />
  );
}

/** The page of a workspace's route once the workspace's access is read; until then (or when it cannot be) a
 * line saying so. */
function WithAccess({ children }: { children: (access: WorkspaceAccess, reloadAccess: () => void) => ReactNode }) {
  const { t } = useTranslation();
  const { workspaces, workspaceId, access, accessError, reloadAccess } = useOutletContext<ConsoleFrame>();
  if (workspaces.length === 0) return <p className="empty">{t("layout.no_workspaces")}</p>;
  if (accessError || workspaceId === undefined) return <p className="empty">{t("layout.not_found")}</p>;
  if (!access || access.workspace.id !== workspaceId) return <p className="loading">{t("common.loading")}</p>;
  return <>{children(access, reloadAccess)}</>;
}

/** "/": the first workspace's friends (a person in no workspace is told so). */
export function HomeRoute() {
  const { t } = useTranslation();
  const { workspaces } = useOutletContext<ConsoleFrame>();
  if (workspaces.length === 0) return <p className="empty">{t("layout.no_workspaces")}</p>;
  return <Navigate to={`/w/${workspaces[0].id}/friends`} replace />;
}

/** /w/{id} and /w/{id}/scenarios: the workspace's scenarios. */
export function ScenariosRoute() {
  return <WithAccess>{(access) => <ScenarioList access={access} />}</WithAccess>;
}

/** /w/{id}/scenarios/{scenario}: the builder. */
export function ScenarioRoute() {
  const { scenarioId } = useParams();
  if (!scenarioId || !/^\d+$/.test(scenarioId)) return <NotFoundRoute />;
  return (
    <WithAccess>
      {(access) => <ScenarioEditor key={scenarioId} access={access} scenarioId={Number(scenarioId)} />}
    </WithAccess>
  );
}

/** /w/{id}/{section}/{rest…}: a built-in area or a plugin's section. */
export function SectionRoute() {
  const { section = "", "*": splat = "" } = useParams();
  const rest = splat ? splat.replace(/\/$/, "").split("/") : [];
  const builtIn = findSection(section);
  return (
    <WithAccess>
      {(access, reloadAccess) => {
        const Page = builtIn?.component;
        return Page ? (
          <Page key={section} access={access} rest={rest} reloadAccess={reloadAccess} />
        ) : (
          <PluginSectionPage key={section} access={access} sectionKey={section} rest={rest} />
        );
      }}
    </WithAccess>
  );
}

/** Any other path. */
export function NotFoundRoute() {
  const { t } = useTranslation();
  return <p className="empty">{t("layout.page_not_found")}</p>;
}
