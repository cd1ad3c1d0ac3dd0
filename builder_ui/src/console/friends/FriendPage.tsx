// A friend's page: profile, then what the workspace's plugins keep about the friend and the chat thread with a
// reply box. A plugin shows and edits its data in a panel of its own (its UI module's friendPanel); the friend field
// sources of plugins without a panel show read-only from the profile. A plugin switched off brings neither.
import { Alert, Avatar, Breadcrumb, Tag } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, errorText, workspaceUrl } from "../../api";
import { LookupContext } from "../../forms/pickers";
import { localized } from "../../i18n";
import { useContributions, useUiModules } from "../../platform/modules";
import type { WorkspaceAccess } from "../../types";
import { ChatThread } from "../inbox/ChatThread";
import { FriendScenarios } from "./FriendScenarios";
import { sectionUrl } from "../sections";
import { NameOverrideEditor } from "./NameOverride";
import { cellText, formatTime, shownName, type Profile } from "./types";

// Plugins' panels in their order (FriendPanelSlot.order); the read-only values of plugins without a panel stand
// at VALUES_ORDER among them.
const DEFAULT_ORDER = 100;
const VALUES_ORDER = 45;

export function FriendPage({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const tz = access.workspace.timezone;
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const contributed = useContributions("friendPanel");
  // Until every module was tried, a plugin's sources may yet turn out to have a panel: none show read-only before.
  const { ready } = useUiModules();
  const panels = useMemo(
    () => [...contributed].sort((a, b) => (a.slot.order ?? DEFAULT_ORDER) - (b.slot.order ?? DEFAULT_ORDER)),
    [contributed],
  );
  // The pickers' lists: the workspace catalog's lookups.
  const lookupSource = useMemo(() => ({ workspaceId: ws }), [ws]);

  useEffect(() => {
    api
      .get<Profile>(workspaceUrl(ws, `/friends/${friendId}`))
      .then((p) => {
        setProfile(p);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError && e.status === 404 ? t("friends.page.not_found") : errorText(e)));
  }, [ws, friendId, t]);

  const back = (
    <Breadcrumb
      className="friend-breadcrumb"
      aria-label={t("friends.page.breadcrumb")}
      items={[{ key: "friends", title: <Link to={sectionUrl(ws, "friends")}>← {t("friends.page.back")}</Link> }]}
    />
  );
  if (error)
    return (
      <div className="page">
        {back}
        <Alert type="error" message={error} />
      </div>
    );
  if (!profile) return <p className="loading">{t("common.loading")}</p>;
  const withPanel = new Set(panels.map((p) => p.plugin));
  const before = panels.filter((p) => (p.slot.order ?? DEFAULT_ORDER) < VALUES_ORDER);
  const after = panels.filter((p) => (p.slot.order ?? DEFAULT_ORDER) >= VALUES_ORDER);
  const panel = ({ plugin, slot: { key, component: Panel } }: (typeof panels)[number]) => (
    <Panel key={`${plugin}.${key}`} workspaceId={ws} permissions={access.permissions} friendId={friendId} timezone={tz} />
  );
  const others = ready ? profile.fields.filter((s) => !withPanel.has(s.plugin) && s.values.length > 0) : [];

  return (
    <LookupContext.Provider value={lookupSource}>
      <div className="page friend-page">
        {back}
        <header className="friend-head">
          {profile.picture_url ? (
            <Avatar className="friend-picture" size={72} src={<img src={profile.picture_url} alt="" />} />
          ) : (
            <Avatar className="friend-picture" size={72} aria-hidden="true" />
          )}
          <div>
            <h1>{shownName(profile) || t("friends.no_name")}</h1>
            {profile.name_override && (
              <p className="muted friend-line-name">{t("friends.line_name", { name: profile.display_name || t("friends.no_name") })}</p>
            )}
            <NameOverrideEditor
              workspaceId={ws}
              profile={profile}
              canEdit={access.permissions.includes("core.write")}
              onSaved={setProfile}
            />
            <p className="muted">
              <Tag className={`friend-status status-${profile.status}`}>{t(`friends.status.${profile.status}`, profile.status)}</Tag>
              {t("friends.page.followed_at", { at: formatTime(profile.followed_at, tz) })}
              {profile.blocked_at && <> · {t("friends.page.blocked_at", { at: formatTime(profile.blocked_at, tz) })}</>}
              {profile.last_inbound_at && (
                <> · {t("friends.page.last_inbound_at", { at: formatTime(profile.last_inbound_at, tz) })}</>
              )}
            </p>
            {profile.status_message && <p className="pre">{profile.status_message}</p>}
            <p className="muted small mono">{profile.line_user_id}</p>
          </div>
        </header>

        <div className="friend-body">
          <div className="friend-info">
            <FriendScenarios
              workspaceId={ws}
              friendId={friendId}
              timezone={tz}
              canWrite={access.permissions.includes("core.write")}
            />
            {before.map(panel)}
            {others.map((s) => (
              <section key={`${s.plugin}.${s.source}`} className="friend-block" aria-label={localized(s.label, i18n.language)}>
                <h2>{localized(s.label, i18n.language)}</h2>
                <dl className="friend-values">
                  {s.values.map((v) => (
                    <div key={v.key}>
                      <dt>{localized(v.label, i18n.language)}</dt>
                      <dd>{cellText(v.value, v.value_schema, tz, t("friends.yes")) || "—"}</dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
            {after.map(panel)}
          </div>
          {/* ChatThread is a region named after the talk itself. */}
          <div className="friend-chat">
            <h2>{t("friends.page.chat")}</h2>
            <ChatThread access={access} friendId={friendId} />
          </div>
        </div>
      </div>
    </LookupContext.Provider>
  );
}
