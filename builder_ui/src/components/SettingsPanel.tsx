// Run settings of the scenario: re-entry, quiet hours, and an exit condition of any condition type.
import { Checkbox, Select, Space } from "antd";
import { useTranslation } from "react-i18next";
import { ConfigForm } from "../forms/ConfigForm";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";
import { TimeField } from "./TimeFields";

type Settings = Record<string, unknown>;
type Quiet = { enabled: boolean; start: string; end: string };
type Exit = { type: string; type_version: number; config: Record<string, unknown> } | null;

export function SettingsPanel({
  settings,
  types,
  messageStarted = false,
  onChange,
}: {
  settings: Settings;
  types: Map<string, NodeTypeDef>;
  /** Started by a message or a tap: re-entry is then on unless the scenario says otherwise. */
  messageStarted?: boolean;
  onChange: (s: Settings) => void;
}) {
  const { t, i18n } = useTranslation();
  const ownQuiet = (settings.quiet_hours ?? null) as Quiet | null;
  const quiet = ownQuiet ?? { enabled: true, start: "22:00", end: "08:00" };
  const reentry = typeof settings.reentry === "boolean" ? settings.reentry : messageStarted;
  const exit = (settings.exit_condition ?? null) as Exit;
  const conditions = [...types.values()].filter((x) => x.kind === "condition" && !x.deprecated);
  const exitType = exit ? types.get(exit.type) : undefined;
  return (
    <section className="settings" aria-label={t("scenario_settings.title")}>
      <h2>{t("scenario_settings.title")}</h2>
      <Checkbox className="check" checked={reentry} onChange={(e) => onChange({ ...settings, reentry: e.target.checked })}>
        {t("scenario_settings.reentry")}
      </Checkbox>
      <fieldset>
        <legend>{t("scenario_settings.quiet_hours")}</legend>
        <p className="muted small">{t("scenario_settings.quiet_note")}</p>
        <Checkbox
          className="check"
          checked={ownQuiet === null}
          onChange={(e) => onChange({ ...settings, quiet_hours: e.target.checked ? null : { ...quiet } })}
        >
          {t("scenario_settings.quiet_workspace")}
        </Checkbox>
        {ownQuiet !== null && (
          <>
            <Checkbox
              className="check"
              checked={ownQuiet.enabled}
              onChange={(e) => onChange({ ...settings, quiet_hours: { ...ownQuiet, enabled: e.target.checked } })}
            >
              {t("scenario_settings.quiet_enabled")}
            </Checkbox>
            <Space wrap>
              <span>
                {t("scenario_settings.from")}{" "}
                <TimeField
                  label={t("scenario_settings.from")}
                  value={ownQuiet.start}
                  onChange={(start) => onChange({ ...settings, quiet_hours: { ...ownQuiet, start } })}
                />
              </span>
              <span>
                {t("scenario_settings.to")}{" "}
                <TimeField
                  label={t("scenario_settings.to")}
                  value={ownQuiet.end}
                  onChange={(end) => onChange({ ...settings, quiet_hours: { ...ownQuiet, end } })}
                />
              </span>
            </Space>
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{t("scenario_settings.exit_condition")}</legend>
        <Select
          className="exit-type"
          // Every option drawn (not only those scrolled to): the list is short, and each is found by its name.
          virtual={false}
          aria-label={t("scenario_settings.exit_condition")}
          value={exit?.type ?? ""}
          onChange={(key: string) => {
            const type = types.get(key);
            onChange({ ...settings, exit_condition: type ? { type: type.key, type_version: type.version, config: {} } : null });
          }}
          options={[
            { value: "", label: t("scenario_settings.no_exit") },
            ...conditions.map((c) => ({ value: c.key, label: localized(c.label, i18n.language) })),
          ]}
        />
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
