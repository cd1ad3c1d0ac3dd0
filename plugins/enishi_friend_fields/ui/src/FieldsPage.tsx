// Friend fields (友だち情報欄): key, label, type, choices and the folder (group) they are shown under. The
// plugin's settings page, under its resource's key (friend_fields.fields). Deleting a field friends have values
// in, or taking out choices friends hold, asks again and then forces (?force=true).
import { api, ApiError, Field, FormProblems, localized, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { byGroup, CHOICE_TYPES, FIELD_TYPES, parseOptions, PLUGIN } from "./fields";

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

export function FieldsPage({ workspaceId, permissions }: WorkspaceProps) {
  const { t } = useTranslation(PLUGIN);
  const base = workspaceUrl(workspaceId, "/friend_fields/fields");
  const canManage = permissions.includes("friend_fields.manage");
  const [fields, setFields] = useState<FieldDef[] | null>(null);
  const [editing, setEditing] = useState<FieldDef | "new" | null>(null);
  const load = useCallback(async () => setFields(await api.get<FieldDef[]>(base)), [base]);
  useEffect(() => {
    void load();
  }, [load]);
  if (!fields) return <p className="loading">{t("loading")}</p>;
  const groups = [...new Set(fields.map((f) => f.group).filter((g): g is string => !!g))];
  return (
    <section className="settings-page" aria-labelledby="fields-title">
      <div className="page-head">
        <h2 id="fields-title">{t("title")}</h2>
        {canManage && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            {t("add")}
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
      {fields.length === 0 && <p className="empty">{t("none")}</p>}
      {byGroup(fields).map(([group, list]) => (
        <table key={group ?? ""} className="list grouped" aria-label={group ?? t("no_group")}>
          <caption>{group ?? t("no_group")}</caption>
          <thead>
            <tr>
              <th>{t("label")}</th>
              <th>{t("key")}</th>
              <th>{t("type")}</th>
              <th>{t("options")}</th>
              <th>{t("values")}</th>
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
  const { t, i18n } = useTranslation(PLUGIN);
  const { errors, busy, submit } = useSubmit();
  const remove = async () => {
    if (!window.confirm(t("confirm_delete", { name: field.label }))) return;
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
        {field.required && <span className="badge">{t("required")}</span>}
      </td>
      <td className="mono">{field.key}</td>
      <td>{t(`types.${field.type}`)}</td>
      <td className="small">{field.options.join("、")}</td>
      <td>{field.value_count}</td>
      <td className="actions">
        {canManage && (
          <>
            <button type="button" className="small" onClick={onEdit}>
              {t("edit")}
            </button>
            <button type="button" className="small danger" disabled={busy} onClick={() => void remove()}>
              {t("delete")}
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
  const { t, i18n } = useTranslation(PLUGIN);
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
      options: CHOICE_TYPES.has(type) ? parseOptions(options) : [],
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
      aria-label={field ? t("edit_title", { name: field.label }) : t("add")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="row">
        <Field label={t("key")} name="key" errors={errors} hint={field ? undefined : t("key_hint")}>
          <input value={key} onChange={(e) => setKey(e.target.value)} disabled={!!field} className="mono" />
        </Field>
        <Field label={t("label")} name="label" errors={errors}>
          <input value={label} onChange={(e) => setLabel(e.target.value)} />
        </Field>
        <Field label={t("label_en")} name="label_en" errors={errors}>
          <input value={labelEn} onChange={(e) => setLabelEn(e.target.value)} />
        </Field>
      </div>
      <div className="row">
        <Field label={t("type")} name="type" errors={errors}>
          <select value={type} onChange={(e) => setType(e.target.value)}>
            {FIELD_TYPES.map((ft) => (
              <option key={ft} value={ft}>
                {t(`types.${ft}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("group")} name="group" errors={errors}>
          <input value={group} onChange={(e) => setGroup(e.target.value)} list="field-groups" />
          <datalist id="field-groups">
            {groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </Field>
        <label className="field checkbox">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} />
          {t("required")}
        </label>
      </div>
      {CHOICE_TYPES.has(type) && (
        <Field label={t("options")} name="options" errors={errors} hint={t("options_hint")}>
          <textarea rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
        </Field>
      )}
      <FormProblems errors={errors} shown={["key", "label", "label_en", "type", "group", "options"]} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {field ? t("save") : t("create")}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}
