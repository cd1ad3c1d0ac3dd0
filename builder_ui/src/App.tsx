import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, setCsrfToken } from "./api";
import { LANGUAGES, setLanguage, type Language } from "./i18n";
import { LoginPage } from "./pages/LoginPage";
import { ScenarioEditor } from "./pages/ScenarioEditor";
import { ScenarioList } from "./pages/ScenarioList";
import { AgencyPage } from "./console/agency";
import { AccountPanel } from "./console/account/AccountPanel";
import { Invitations } from "./console/account/Invitations";
import { findSection, SECTIONS_AFTER_SCENARIOS, SECTIONS_BEFORE_SCENARIOS, sectionUrl, type Section } from "./console/sections";
import { navigate, parseRoute, usePath } from "./router";
import type { Me, WorkspaceAccess, WorkspaceSummary } from "./types";

export function App() {
  const { t } = useTranslation();
  const path = usePath();
  const route = parseRoute(path);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [workspaces, setWorkspaces] = useState<WorkspaceSummary[]>([]);
  const [access, setAccess] = useState<WorkspaceAccess | null>(null);
  const [accessError, setAccessError] = useState(false);
  const [accessVersion, setAccessVersion] = useState(0);
  const reloadAccess = useCallback(() => setAccessVersion((v) => v + 1), []);
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

  // The role, permissions and enabled plugins of the workspace being looked at.
  useEffect(() => {
    if (!me || workspaceId === undefined) return;
    let live = true;
    setAccessError(false);
    api
      .get<WorkspaceAccess>(`/api/workspaces/${workspaceId}`)
      .then((a) => live && setAccess(a))
      .catch(() => live && (setAccess(null), setAccessError(true)));
    return () => {
      live = false;
    };
  }, [me, workspaceId, accessVersion]);

  if (me === undefined) return <div className="loading">{t("common.loading")}</div>;
  if (me === null || route.name === "login") {
    return <LoginPage onLoggedIn={() => loadSession()} />;
  }

  const logout = async () => {
    await api.post("/api/auth/logout").catch(() => undefined);
    setCsrfToken(null);
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
    content = Page ? <Page key={route.section} access={access} rest={route.rest} reloadAccess={reloadAccess} /> : <p className="empty">{t("layout.page_not_found")}</p>;
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

  return (
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
        {content}
      </main>
    </div>
  );
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
