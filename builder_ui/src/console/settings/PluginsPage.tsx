// Plugins on and off for this workspace. A plugin the plan does not include cannot be switched on; the
// reason is shown. Switching one reads the workspace's access again, so its pages appear or go at once.
import { Button, Switch, Tag } from "antd";
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { ConfigForm } from "../../forms/ConfigForm";
import { LookupContext } from "../../forms/pickers";
import { localized } from "../../i18n";
import { answer, client, type Schema } from "../../openapi/client";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import { FormProblems, useSubmit } from "./ui";

type WorkspacePlugin = Schema<"WorkspacePluginOut">;
type PluginState = Schema<"PluginStateIn">;

const hasSettings = (p: WorkspacePlugin) =>
  Object.keys((p.settings_schema.properties as object | undefined) ?? {}).length > 0;

/** The plugin's settings schema in the shape the generated forms take. */
function settingsForm(p: WorkspacePlugin): NodeTypeDef {
  return {
    key: p.name,
    kind: "action",
    version: 1,
    plugin: p.name,
    label: { ja: p.title.ja, en: p.title.en },
    description: null,
    config_schema: p.settings_schema,
    ui_schema: {},
    inputs: [],
    outputs: [],
    allowed_targets: null,
    deprecated: false,
  };
}

export function PluginsPage({ access, reloadAccess }: { access: WorkspaceAccess; reloadAccess?: () => void }) {
  const { t } = useTranslation();
  const workspaceId = access.workspace.id;
  const canManage = access.permissions.includes("core.manage_plugins");
  const [plugins, setPlugins] = useState<WorkspacePlugin[] | null>(null);
  const load = useCallback(async () => {
    const path = { workspace_id: workspaceId };
    setPlugins(await answer(client.GET("/api/workspaces/{workspace_id}/plugins", { params: { path } })));
  }, [workspaceId]);
  useEffect(() => {
    void load();
  }, [load]);
  // (the pickers of plugins' settings read the workspace's lookups from its catalog)
  const lookups = useMemo(() => ({ workspaceId }), [workspaceId]);
  if (!plugins) return <p className="loading">{t("common.loading")}</p>;
  return (
    <LookupContext.Provider value={lookups}>
      <section className="settings-page" aria-labelledby="plugins-title">
        <h2 id="plugins-title">{t("settings.plugins.title")}</h2>
        <p className="muted">{t("settings.plugins.intro")}</p>
        <ul className="plugin-list">
          {plugins.map((p) => (
            <PluginItem
              key={p.name}
              plugin={p}
              workspaceId={workspaceId}
              canManage={canManage}
              onChanged={() => {
                reloadAccess?.();
                void load();
              }}
            />
          ))}
        </ul>
      </section>
    </LookupContext.Provider>
  );
}

function PluginItem({
  plugin,
  workspaceId,
  canManage,
  onChanged,
}: {
  plugin: WorkspacePlugin;
  workspaceId: number;
  canManage: boolean;
  onChanged: () => void;
}) {
  const { t, i18n } = useTranslation();
  const title = localized(plugin.title, i18n.language);
  const [settings, setSettings] = useState(plugin.settings);
  const [open, setOpen] = useState(false);
  const { errors, busy, submit } = useSubmit();
  // The switch is named as its label was: the plugin's title and its tier.
  const id = useId();
  const put = async (body: PluginState) => {
    const params = { path: { workspace_id: workspaceId, name: plugin.name } };
    const saved = await submit(() => answer(client.PUT("/api/workspaces/{workspace_id}/plugins/{name}", { params, body })));
    if (saved) onChanged();
  };
  return (
    <li className={`plugin ${plugin.enabled ? "on" : "off"}`} data-plugin={plugin.name} aria-label={title}>
      <div className="row">
        <span className="switch grow">
          <Switch
            aria-labelledby={`${id}-title ${id}-tier`}
            checked={plugin.enabled}
            loading={busy}
            disabled={!canManage || busy || !plugin.allowed_by_plan}
            onChange={(checked) => void put({ enabled: checked })}
          />
          <strong id={`${id}-title`}>{title}</strong>
          <Tag className="badge" id={`${id}-tier`}>
            {t(`settings.plugins.tiers.${plugin.tier}`, { defaultValue: plugin.tier })}
          </Tag>
        </span>
        <span className={plugin.enabled ? "ok" : "muted"}>
          {plugin.enabled ? t("settings.plugins.on") : t("settings.plugins.off")}
        </span>
        {plugin.enabled && hasSettings(plugin) && (
          <Button size="small" aria-expanded={open} onClick={() => setOpen(!open)}>
            {t("settings.plugins.settings")}
          </Button>
        )}
      </div>
      {!plugin.allowed_by_plan && plugin.reason && (
        <p className="plan-reason">
          {t("settings.plugins.not_in_plan")}: {localized(plugin.reason, i18n.language)}
        </p>
      )}
      <FormProblems errors={errors} shown={open ? ["settings"] : []} />
      {open && (
        <div className="panel stack">
          <ConfigForm
            idPrefix={`plugin-${plugin.name}`}
            nodeType={settingsForm(plugin)}
            config={settings}
            onChange={setSettings}
          />
          {errors.fields &&
            Object.entries(errors.fields)
              .filter(([k]) => k.startsWith("settings"))
              .map(([k, ms]) => (
                <p key={k} className="field-error" role="alert">
                  {k.replace(/^settings\.?/, "")}: {ms.join(" ")}
                </p>
              ))}
          <Button
            type="primary"
            className="save"
            loading={busy}
            disabled={!canManage}
            onClick={() => void put({ enabled: plugin.enabled, settings })}
          >
            {t("settings.save")}
          </Button>
        </div>
      )}
    </li>
  );
}
