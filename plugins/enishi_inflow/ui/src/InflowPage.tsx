// Inflow routes (流入経路): a URL (and its QR code) per place a friend comes from, the folder it is filed in,
// whether its actions run at every visit or only the first time, and the actions themselves — node actions
// configured through the forms generated from their schemas, as in the scenario builder (the console's own
// forms and pickers, from @enishi/plugin-ui). The plugin's settings page, under its resource's key
// (inflow.routes).
import {
  api,
  ConfigForm,
  CopyField,
  defaultConfig,
  Field,
  FieldErrors,
  forgetLookups,
  FormProblems,
  localized,
  LookupContext,
  useCatalog,
  useSubmit,
  workspaceUrl,
  type CatalogLookup,
  type NodeTypeDef,
  type PlatformCatalog,
  type WorkspaceProps,
} from "@enishi/plugin-ui";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN, routesByFolder } from "./routes";
import "./inflow.css";

interface RouteAction {
  type: string;
  config: Record<string, unknown>;
  type_version?: number;
}

interface InflowRoute {
  id: number;
  name: string;
  folder: string;
  mode: "every" | "first_time";
  actions: RouteAction[];
  enabled: boolean;
  url: string;
  visits: number;
  new_friends: number;
}

export function InflowPage({ workspaceId, permissions }: WorkspaceProps) {
  const { t } = useTranslation(PLUGIN);
  const base = workspaceUrl(workspaceId, "/inflow/routes");
  const canManage = permissions.includes("inflow.manage");
  const [routes, setRoutes] = useState<InflowRoute[] | null>(null);
  const [actionTypes, setActionTypes] = useState<NodeTypeDef[]>([]);
  const [editing, setEditing] = useState<InflowRoute | "new" | null>(null);
  const [folder, setFolder] = useState<string | null>(null);
  const [ownLookups, setOwnLookups] = useState<CatalogLookup[]>([]);
  const catalog = useCatalog();
  const load = useCallback(async () => setRoutes(await api.get<InflowRoute[]>(base)), [base]);
  useEffect(() => {
    // Tags, marks … may have changed on the other settings pages since the pickers last read them.
    forgetLookups();
    void load();
    api
      .get<{ node_types: NodeTypeDef[] } & Partial<PlatformCatalog>>(workspaceUrl(workspaceId, "/catalog"))
      .then((c) => {
        setActionTypes(c.node_types.filter((n) => n.kind === "action" && !n.deprecated));
        setOwnLookups(c.lookups ?? []);
      });
  }, [load, workspaceId]);
  const lookups = useMemo(
    () => ({ workspaceId, lookups: catalog?.lookups ?? ownLookups }),
    [workspaceId, catalog, ownLookups],
  );

  if (!routes) return <p className="loading">{t("loading")}</p>;
  const grouped = routesByFolder(routes);
  const folders = grouped.map(([f]) => f).filter(Boolean);
  const shown = folder === null ? grouped : grouped.filter(([f]) => f === folder);
  return (
    <LookupContext.Provider value={lookups}>
      <section className="settings-page" aria-labelledby="inflow-title">
        <div className="page-head">
          <h2 id="inflow-title">{t("title")}</h2>
          <label className="field inline">
            <span className="field-label">{t("folder_filter")}</span>
            <select value={folder ?? "*"} onChange={(e) => setFolder(e.target.value === "*" ? null : e.target.value)}>
              <option value="*">{t("all_folders")}</option>
              <option value="">{t("no_folder")}</option>
              {folders.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
          {canManage && editing === null && (
            <button type="button" className="primary" onClick={() => setEditing("new")}>
              {t("add")}
            </button>
          )}
        </div>
        {editing !== null && (
          <RouteForm
            key={editing === "new" ? "new" : editing.id}
            base={base}
            route={editing === "new" ? null : editing}
            folders={folders}
            actionTypes={actionTypes}
            onDone={(changed) => {
              setEditing(null);
              if (changed) void load();
            }}
          />
        )}
        {routes.length === 0 && <p className="empty">{t("none")}</p>}
        {shown.map(([name, list]) => (
          <table key={name} className="list grouped" aria-label={name || t("no_folder")}>
            <caption>{name || t("no_folder")}</caption>
            <thead>
              <tr>
                <th>{t("name_column")}</th>
                <th>{t("mode")}</th>
                <th>{t("url")}</th>
                <th>{t("visits")}</th>
                <th>{t("new_friends")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <RouteRow key={r.id} route={r} base={base} canManage={canManage} onEdit={() => setEditing(r)} onChanged={load} />
              ))}
            </tbody>
          </table>
        ))}
      </section>
    </LookupContext.Provider>
  );
}

function RouteRow({
  route,
  base,
  canManage,
  onEdit,
  onChanged,
}: {
  route: InflowRoute;
  base: string;
  canManage: boolean;
  onEdit: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const { errors, busy, submit } = useSubmit();
  return (
    <tr data-route={route.name}>
      <td>
        {route.name}
        {!route.enabled && <span className="badge status-stopped">{t("disabled")}</span>}
        {route.actions.length > 0 && (
          <span className="muted small"> {t("action_count", { count: route.actions.length })}</span>
        )}
      </td>
      <td>{t(`modes.${route.mode}`)}</td>
      <td>
        <CopyField value={route.url} label={t("url_of", { name: route.name })} />
      </td>
      <td>{route.visits}</td>
      <td>{route.new_friends}</td>
      <td className="actions">
        <a className="button small" href={`${base}/${route.id}/qr.png`} download>
          {t("qr_png")}
        </a>
        <a className="button small" href={`${base}/${route.id}/qr.svg`} download>
          {t("qr_svg")}
        </a>
        {canManage && (
          <>
            <button type="button" className="small" onClick={onEdit}>
              {t("edit")}
            </button>
            <button
              type="button"
              className="small danger"
              disabled={busy}
              onClick={async () => {
                if (!window.confirm(t("confirm_delete", { name: route.name }))) return;
                if ((await submit(() => api.del(`${base}/${route.id}`).then(() => true))) === true) onChanged();
              }}
            >
              {t("delete")}
            </button>
          </>
        )}
        <FormProblems errors={errors} shown={[]} />
      </td>
    </tr>
  );
}

function RouteForm({
  base,
  route,
  folders,
  actionTypes,
  onDone,
}: {
  base: string;
  route: InflowRoute | null;
  folders: string[];
  actionTypes: NodeTypeDef[];
  onDone: (changed: boolean) => void;
}) {
  const { t, i18n } = useTranslation(PLUGIN);
  const [name, setName] = useState(route?.name ?? "");
  const [folder, setFolder] = useState(route?.folder ?? "");
  const [mode, setMode] = useState<InflowRoute["mode"]>(route?.mode ?? "every");
  const [enabled, setEnabled] = useState(route?.enabled ?? true);
  const [actions, setActions] = useState<RouteAction[]>(route?.actions ?? []);
  const [adding, setAdding] = useState("");
  const { errors, busy, submit } = useSubmit();
  const typeOf = (key: string) => actionTypes.find((n) => n.key === key);
  const save = async () => {
    const body = { name, folder, mode, enabled, actions };
    const done = await submit(() => (route ? api.patch(`${base}/${route.id}`, body) : api.post(base, body)));
    if (done) onDone(true);
  };
  return (
    <form
      className="panel stack"
      aria-label={route ? t("edit_title", { name: route.name }) : t("add")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="row">
        <Field label={t("name")} name="name" errors={errors}>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t("folder")} name="folder" errors={errors}>
          <input value={folder} onChange={(e) => setFolder(e.target.value)} list="inflow-folders" />
          <datalist id="inflow-folders">
            {folders.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </Field>
        <label className="field checkbox">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          {t("enabled")}
        </label>
      </div>
      <fieldset className="field" data-field="mode">
        <legend className="field-label">{t("mode")}</legend>
        {(["every", "first_time"] as const).map((m) => (
          <label key={m} className="radio">
            <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {t(`modes.${m}`)}
          </label>
        ))}
        <FieldErrors errors={errors} name="mode" />
      </fieldset>
      <fieldset className="field" data-field="actions">
        <legend className="field-label">{t("actions")}</legend>
        <p className="muted small">{t("actions_hint")}</p>
        {actions.map((action, n) => {
          const type = typeOf(action.type);
          return (
            <div key={n} className="action-card" role="group" aria-label={type ? localized(type.label, i18n.language) : action.type}>
              <div className="row">
                <strong className="grow">{type ? localized(type.label, i18n.language) : action.type}</strong>
                <button
                  type="button"
                  className="small danger"
                  onClick={() => setActions(actions.filter((_, i) => i !== n))}
                >
                  {t("remove_action")}
                </button>
              </div>
              {type ? (
                <ConfigForm
                  idPrefix={`inflow-action-${n}`}
                  nodeType={type}
                  config={action.config}
                  onChange={(config) => setActions((all) => all.map((a, i) => (i === n ? { ...a, config } : a)))}
                />
              ) : (
                <p className="error small">{t("unknown_action")}</p>
              )}
              <FieldErrors errors={errors} name={`actions.${n}`} />
            </div>
          );
        })}
        <div className="row">
          <select aria-label={t("action_type")} value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">{t("choose_action")}</option>
            {actionTypes.map((n) => (
              <option key={n.key} value={n.key}>
                {localized(n.label, i18n.language)}
              </option>
            ))}
          </select>
          <button
            type="button"
            disabled={!adding}
            onClick={() => {
              const type = typeOf(adding);
              if (!type) return;
              setActions([...actions, { type: type.key, type_version: type.version, config: defaultConfig(type) }]);
              setAdding("");
            }}
          >
            {t("add_action")}
          </button>
        </div>
      </fieldset>
      <FormProblems errors={errors} shown={["name", "folder", "mode", "actions"]} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {route ? t("save") : t("create")}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
