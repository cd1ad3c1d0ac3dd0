// Friend fields (友だち情報欄): key, label, type, choices and the folder (group) they are shown under.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import type { WorkspaceAccess } from "../../types";
import { Field, FormProblems, useSubmit } from "./ui";

export const FIELD_TYPES = [
  "text",
  "number",
  "date",
  "datetime",
  "select",
  "multi_select",
  "email",
  "phone",
  "postal_address",
  "url",
  "file",
] as const;
const CHOICES = new Set(["select", "multi_select"]);

interface FieldDef {
  id: number;
  key: string;
  label: string;
  label_en: string;
  type: string;
  options: string[];
  required: boolean;
  group: string | null;
  description: string;
  value_count: number;
}

/** Choices typed one a line: trimmed, blank lines left out. */
export function parseOptions(text: string): string[] {
  return text
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** Fields by group, groups in name order with the ungrouped ones first. */
export function byGroup<T extends { group: string | null }>(fields: T[]): [string | null, T[]][] {
  const groups = new Map<string | null, T[]>();
  for (const f of fields) {
    const list = groups.get(f.group) ?? [];
    list.push(f);
    groups.set(f.group, list);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a.localeCompare(b, "ja")));
}

export function FieldsPage({ access }: { access: WorkspaceAccess }) {
  const { t } = useTranslation();
  const base = workspaceUrl(access.workspace.id, "/friend_fields/fields");
  const canManage = access.permissions.includes("friend_fields.manage");
  const [fields, setFields] = useState<FieldDef[] | null>(null);
  const [editing, setEditing] = useState<FieldDef | "new" | null>(null);
  const load = useCallback(async () => setFields(await api.get<FieldDef[]>(base)), [base]);
  useEffect(() => {
    void load();
  }, [load]);
  if (!fields) return <p className="loading">{t("common.loading")}</p>;
  const groups = [...new Set(fields.map((f) => f.group).filter((g): g is string => !!g))];
  return (
    <section className="settings-page" aria-labelledby="fields-title">
      <div className="page-head">
        <h2 id="fields-title">{t("settings.fields.title")}</h2>
        {canManage && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            {t("settings.fields.add")}
          </button>
        )}
      </div>
      {editing !== null && (
        <FieldForm
          key={editing === "new" ? "new" : editing.id}
          base={base}
          field={editing === "new" ? null : editing}
          groups={groups}
          onDone={(changed) => {
            setEditing(null);
            if (changed) void load();
          }}
        />
      )}
      {fields.length === 0 && <p className="empty">{t("settings.fields.none")}</p>}
      {byGroup(fields).map(([group, list]) => (
        <table key={group ?? ""} className="list grouped" aria-label={group ?? t("settings.fields.no_group")}>
          <caption>{group ?? t("settings.fields.no_group")}</caption>
          <thead>
            <tr>
              <th>{t("settings.fields.label")}</th>
              <th>{t("settings.fields.key")}</th>
              <th>{t("settings.fields.type")}</th>
              <th>{t("settings.fields.options")}</th>
              <th>{t("settings.fields.values")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((f) => (
              <FieldRow key={f.id} field={f} base={base} canManage={canManage} onEdit={() => setEditing(f)} onChanged={load} />
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function FieldRow({
  field,
  base,
  canManage,
  onEdit,
  onChanged,
}: {
  field: FieldDef;
  base: string;
  canManage: boolean;
  onEdit: () => void;
  onChanged: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { errors, busy, submit } = useSubmit();
  const remove = async () => {
    if (!window.confirm(t("settings.fields.confirm_delete", { name: field.label }))) return;
    const done = await submit(() =>
      api.del(`${base}/${field.id}`).catch((error: unknown) => {
        // Friends have values in it: deleting takes them too, so ask once more.
        if (error instanceof ApiError && error.code === "field_in_use" && window.confirm(localized(error.message, i18n.language))) {
          return api.del(`${base}/${field.id}?force=true`);
        }
        throw error;
      }).then(() => true),
    );
    if (done) onChanged();
  };
  return (
    <tr data-field-key={field.key}>
      <td>
        {field.label}
        {field.required && <span className="badge">{t("settings.fields.required")}</span>}
      </td>
      <td className="mono">{field.key}</td>
      <td>{t(`settings.fields.types.${field.type}`)}</td>
      <td className="small">{field.options.join("、")}</td>
      <td>{field.value_count}</td>
      <td className="actions">
        {canManage && (
          <>
            <button type="button" className="small" onClick={onEdit}>
              {t("settings.edit")}
            </button>
            <button type="button" className="small danger" disabled={busy} onClick={() => void remove()}>
              {t("settings.delete")}
            </button>
          </>
        )}
        <FormProblems errors={errors} shown={[]} />
      </td>
    </tr>
  );
}

function FieldForm({
  base,
  field,
  groups,
  onDone,
}: {
  base: string;
  field: FieldDef | null;
  groups: string[];
  onDone: (changed: boolean) => void;
}) {
  const { t, i18n } = useTranslation();
  const [key, setKey] = useState(field?.key ?? "");
  const [label, setLabel] = useState(field?.label ?? "");
  const [labelEn, setLabelEn] = useState(field?.label_en ?? "");
  const [type, setType] = useState(field?.type ?? "text");
  const [options, setOptions] = useState((field?.options ?? []).join("\n"));
  const [group, setGroup] = useState(field?.group ?? "");
  const [required, setRequired] = useState(field?.required ?? false);
  const { errors, busy, submit } = useSubmit();
  const save = async (force = false) => {
    const body: Record<string, unknown> = {
      label,
      label_en: labelEn,
      type,
      options: CHOICES.has(type) ? parseOptions(options) : [],
      group: group.trim() || null,
      required,
    };
    const request = field
      ? () => api.patch(`${base}/${field.id}${force ? "?force=true" : ""}`, body)
      : () => api.post(base, { ...body, key });
    const done = await submit(() =>
      request().catch((error: unknown) => {
        // Choices friends hold would be taken out of their values: only after asking.
        if (!force && error instanceof ApiError && error.code === "options_in_use" && window.confirm(localized(error.message, i18n.language))) {
          return api.patch(`${base}/${field!.id}?force=true`, body);
        }
        throw error;
      }),
    );
    if (done) onDone(true);
  };
  return (
    <form
      className="panel stack"
      aria-label={field ? t("settings.fields.edit_title", { name: field.label }) : t("settings.fields.add")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="row">
        <Field label={t("settings.fields.key")} name="key" errors={errors} hint={field ? undefined : t("settings.fields.key_hint")}>
          <input value={key} onChange={(e) => setKey(e.target.value)} disabled={!!field} className="mono" />
        </Field>
        <Field label={t("settings.fields.label")} name="label" errors={errors}>
          <input value={label} onChange={(e) => setLabel(e.target.value)} />
        </Field>
        <Field label={t("settings.fields.label_en")} name="label_en" errors={errors}>
          <input value={labelEn} onChange={(e) => setLabelEn(e.target.value)} />
        </Field>
      </div>
      <div className="row">
        <Field label={t("settings.fields.type")} name="type" errors={errors}>
          <select value={type} onChange={(e) => setType(e.target.value)}>
            {FIELD_TYPES.map((ft) => (
              <option key={ft} value={ft}>
                {t(`settings.fields.types.${ft}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("settings.fields.group")} name="group" errors={errors}>
          <input value={group} onChange={(e) => setGroup(e.target.value)} list="field-groups" />
          <datalist id="field-groups">
            {groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </Field>
        <label className="field checkbox">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} />
          {t("settings.fields.required")}
        </label>
      </div>
      {CHOICES.has(type) && (
        <Field label={t("settings.fields.options")} name="options" errors={errors} hint={t("settings.fields.options_hint")}>
          <textarea rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
        </Field>
      )}
      <FormProblems errors={errors} shown={["key", "label", "label_en", "type", "group", "options"]} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {field ? t("settings.save") : t("settings.fields.create")}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t("settings.cancel")}
        </button>
      </div>
    </form>
  );
}
