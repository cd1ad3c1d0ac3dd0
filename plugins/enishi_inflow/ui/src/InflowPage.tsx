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
  useNamedTable,
  useSubmit,
  workspaceUrl,
  type CatalogLookup,
  type NodeTypeDef,
  type PlatformCatalog,
  type WorkspaceProps,
} from "@enishi/plugin-ui";
import { Button, Card, Checkbox, Empty, Flex, Input, Popconfirm, Radio, Select, Table, Tag, Typography, type TableColumnsType } from "antd";
import { useCallback, useEffect, useId, useMemo, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN, routesByFolder } from "./routes";

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
  const filterId = useId();
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
          <Flex gap={8} align="center">
            <label htmlFor={filterId}>{t("folder_filter")}</label>
            <Select
              id={filterId}
              value={folder ?? "*"}
              onChange={(v: string) => setFolder(v === "*" ? null : v)}
              options={[
                { value: "*", label: t("all_folders") },
                { value: "", label: t("no_folder") },
                ...folders.map((f) => ({ value: f, label: f })),
              ]}
              popupMatchSelectWidth={false}
              style={{ minWidth: 140 }}
            />
          </Flex>
          {canManage && editing === null && (
            <Button type="primary" onClick={() => setEditing("new")}>
              {t("add")}
            </Button>
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
        {routes.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("none")} />}
        {shown.map(([name, list]) => (
          <RouteTable
            key={name}
            title={name || t("no_folder")}
            routes={list}
            base={base}
            canManage={canManage}
            onEdit={setEditing}
            onChanged={load}
          />
        ))}
      </section>
    </LookupContext.Provider>
  );
}

/** One folder's routes, as a table named after the folder. */
function RouteTable({
  title,
  routes,
  base,
  canManage,
  onEdit,
  onChanged,
}: {
  title: string;
  routes: InflowRoute[];
  base: string;
  canManage: boolean;
  onEdit: (route: InflowRoute) => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const components = useNamedTable(title);
  const columns: TableColumnsType<InflowRoute> = [
    {
      key: "name",
      title: t("name_column"),
      rowScope: "row",
      render: (_, route) => (
        <>
          {route.name}{" "}
          {!route.enabled && <Tag bordered={false}>{t("disabled")}</Tag>}
          {route.actions.length > 0 && (
            <Typography.Text type="secondary" className="small">
              {t("action_count", { count: route.actions.length })}
            </Typography.Text>
          )}
        </>
      ),
    },
    { key: "mode", title: t("mode"), render: (_, route) => t(`modes.${route.mode}`) },
    { key: "url", title: t("url"), render: (_, route) => <CopyField value={route.url} label={t("url_of", { name: route.name })} /> },
    { key: "visits", title: t("visits"), dataIndex: "visits" },
    { key: "new_friends", title: t("new_friends"), dataIndex: "new_friends" },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("actions_column")}</span>,
      className: "actions",
      render: (_, route) => <RouteActions route={route} base={base} canManage={canManage} onEdit={() => onEdit(route)} onChanged={onChanged} />,
    },
  ];
  return (
    <div>
      <h3>{title}</h3>
      <Table<InflowRoute>
        className="settings-table"
        rowKey="id"
        columns={columns}
        dataSource={routes}
        pagination={false}
        size="small"
        components={components}
        onRow={(route) => ({ "data-route": route.name }) as HTMLAttributes<HTMLElement>}
      />
    </div>
  );
}

function RouteActions({
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
    <>
      <Flex gap={4} wrap justify="end">
        <Button size="small" href={`${base}/${route.id}/qr.png`} download>
          {t("qr_png")}
        </Button>
        <Button size="small" href={`${base}/${route.id}/qr.svg`} download>
          {t("qr_svg")}
        </Button>
        {canManage && (
          <>
            <Button size="small" onClick={onEdit}>
              {t("edit")}
            </Button>
            <Popconfirm
              title={t("confirm_delete", { name: route.name })}
              okText={t("delete")}
              cancelText={t("cancel")}
              okButtonProps={{ danger: true }}
              onConfirm={async () => {
                if ((await submit(() => api.del(`${base}/${route.id}`).then(() => true))) === true) onChanged();
              }}
            >
              <Button size="small" danger loading={busy}>
                {t("delete")}
              </Button>
            </Popconfirm>
          </>
        )}
      </Flex>
      <FormProblems errors={errors} shown={[]} />
    </>
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
  const [adding, setAdding] = useState<string | undefined>(undefined);
  const { errors, busy, submit } = useSubmit();
  const id = useId();
  const at = (name: string) => `${id}-${name}`;
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
      <Flex gap={12} align="end" wrap>
        <Field label={t("name")} name="name" errors={errors} id={at("name")}>
          <Input id={at("name")} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t("folder")} name="folder" errors={errors} id={at("folder")}>
          <Input id={at("folder")} value={folder} onChange={(e) => setFolder(e.target.value)} list={at("folders")} />
          <datalist id={at("folders")}>
            {folders.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </Field>
        <Checkbox checked={enabled} onChange={(e) => setEnabled(e.target.checked)}>
          {t("enabled")}
        </Checkbox>
      </Flex>
      <fieldset className="field" data-field="mode">
        <legend className="field-label">{t("mode")}</legend>
        <Radio.Group
          value={mode}
          onChange={(e) => setMode(e.target.value as InflowRoute["mode"])}
          options={(["every", "first_time"] as const).map((m) => ({ value: m, label: t(`modes.${m}`) }))}
        />
        <FieldErrors errors={errors} name="mode" />
      </fieldset>
      <fieldset className="field" data-field="actions">
        <legend className="field-label">{t("actions")}</legend>
        <Typography.Text type="secondary" className="small">
          {t("actions_hint")}
        </Typography.Text>
        {actions.map((action, n) => {
          const type = typeOf(action.type);
          const label = type ? localized(type.label, i18n.language) : action.type;
          return (
            <Card
              key={n}
              size="small"
              role="group"
              aria-label={label}
              title={label}
              extra={
                <Button size="small" danger onClick={() => setActions(actions.filter((_, i) => i !== n))}>
                  {t("remove_action")}
                </Button>
              }
              style={{ margin: "8px 0", borderLeft: "4px solid var(--action)" }}
            >
              {type ? (
                <ConfigForm
                  idPrefix={`inflow-action-${n}`}
                  nodeType={type}
                  config={action.config}
                  onChange={(config) => setActions((all) => all.map((a, i) => (i === n ? { ...a, config } : a)))}
                />
              ) : (
                <Typography.Text type="danger" className="small">
                  {t("unknown_action")}
                </Typography.Text>
              )}
              <FieldErrors errors={errors} name={`actions.${n}`} />
            </Card>
          );
        })}
        <Flex gap={8} align="center" wrap>
          <Select
            aria-label={t("action_type")}
            value={adding}
            placeholder={t("choose_action")}
            onChange={(v: string) => setAdding(v)}
            options={actionTypes.map((n) => ({ value: n.key, label: localized(n.label, i18n.language) }))}
            popupMatchSelectWidth={false}
            style={{ minWidth: 200 }}
          />
          <Button
            disabled={!adding}
            onClick={() => {
              const type = adding ? typeOf(adding) : undefined;
              if (!type) return;
              setActions([...actions, { type: type.key, type_version: type.version, config: defaultConfig(type) }]);
              setAdding(undefined);
            }}
          >
            {t("add_action")}
          </Button>
        </Flex>
      </fieldset>
      <FormProblems errors={errors} shown={["name", "folder", "mode", "actions"]} />
      <Flex gap={8}>
        <Button type="primary" htmlType="submit" loading={busy}>
          {route ? t("save") : t("create")}
        </Button>
        <Button onClick={() => onDone(false)}>{t("cancel")}</Button>
      </Flex>
    </form>
  );
}
