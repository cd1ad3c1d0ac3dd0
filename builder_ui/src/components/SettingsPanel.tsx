// Run settings of the scenario: re-entry, quiet hours, and an exit condition of any condition type.
import { useTranslation } from "react-i18next";
import { ConfigForm } from "../forms/ConfigForm";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";

type Settings = Record<string, unknown>;
type Quiet = { enabled: boolean; start: string; end: string };
type Exit = { type: string; type_version: number; config: Record<string, unknown> } | null;

export function SettingsPanel({
  settings,
  types,
  onChange,
}: {
  settings: Settings;
  types: Map<string, NodeTypeDef>;
  onChange: (s: Settings) => void;
}) {
  const { t, i18n } = useTranslation();
  const quiet = (settings.quiet_hours ?? { enabled: true, start: "22:00", end: "08:00" }) as Quiet;
  const exit = (settings.exit_condition ?? null) as Exit;
  const conditions = [...types.values()].filter((x) => x.kind === "condition" && !x.deprecated);
  const exitType = exit ? types.get(exit.type) : undefined;
  return (
    <section className="settings" aria-label={t("scenario_settings.title")}>
      <h2>{t("scenario_settings.title")}</h2>
      <label className="check">
        <input type="checkbox" checked={Boolean(settings.reentry)} onChange={(e) => onChange({ ...settings, reentry: e.target.checked })} />
        {t("scenario_settings.reentry")}
      </label>
      <fieldset>
        <legend>{t("scenario_settings.quiet_hours")}</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={quiet.enabled}
            onChange={(e) => onChange({ ...settings, quiet_hours: { ...quiet, enabled: e.target.checked } })}
          />
          {t("scenario_settings.quiet_enabled")}
        </label>
        <label>
          {t("scenario_settings.from")}
          <input type="time" value={quiet.start} onChange={(e) => onChange({ ...settings, quiet_hours: { ...quiet, start: e.target.value } })} />
        </label>
        <label>
          {t("scenario_settings.to")}
          <input type="time" value={quiet.end} onChange={(e) => onChange({ ...settings, quiet_hours: { ...quiet, end: e.target.value } })} />
        </label>
      </fieldset>
      <fieldset>
        <legend>{t("scenario_settings.exit_condition")}</legend>
        <select
          aria-label={t("scenario_settings.exit_condition")}
          value={exit?.type ?? ""}
          onChange={(e) => {
            const type = types.get(e.target.value);
            onChange({ ...settings, exit_condition: type ? { type: type.key, type_version: type.version, config: {} } : null });
          }}
        >
          <option value="">{t("scenario_settings.no_exit")}</option>
          {conditions.map((c) => (
            <option key={c.key} value={c.key}>
              {localized(c.label, i18n.language)}
            </option>
          ))}
        </select>
        {exit && exitType && (
          <ConfigForm
            idPrefix="exit"
            nodeType={exitType}
            config={exit.config}
            onChange={(config) => onChange({ ...settings, exit_condition: { ...exit, config } })}
          />
        )}
      </fieldset>
    </section>
  );
}
