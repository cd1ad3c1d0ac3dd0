// Friend fields (友だち情報欄): key, label, type, choices and the folder (group) they are shown under. The
// plugin's settings page, under its resource's key (friend_fields.fields). Deleting a field friends have values
// in, or taking out choices friends hold, asks again and then forces (?force=true).
import { api, ApiError, Field, FormProblems, localized, useNamedTable, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { Button, Checkbox, Empty, Flex, Input, Modal, Popconfirm, Select, Table, Tag, type TableColumnsType } from "antd";
import { useCallback, useEffect, useId, useState, type HTMLAttributes } from "react";
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
          <Button type="primary" onClick={() => setEditing("new")}>
            {t("add")}
          </Button>
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
      {fields.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("none")} />}
      {byGroup(fields).map(([group, list]) => (
        <FieldTable
          key={group ?? ""}
          title={group ?? t("no_group")}
          fields={list}
          base={base}
          canManage={canManage}
          onEdit={setEditing}
          onChanged={load}
        />
      ))}
    </section>
  );
}

/** One group's fields, as a table named after the group. */
function FieldTable({
  title,
  fields,
  base,
  canManage,
  onEdit,
  onChanged,
}: {
  title: string;
  fields: FieldDef[];
  base: string;
  canManage: boolean;
  onEdit: (field: FieldDef) => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const components = useNamedTable(title);
  const columns: TableColumnsType<FieldDef> = [
    {
      key: "label",
      title: t("label"),
      rowScope: "row",
      render: (_, f) => (
        <>
          {f.label}{" "}
          {f.required && (
            <Tag bordered={false} color="green">
              {t("required")}
            </Tag>
          )}
        </>
      ),
    },
    { key: "key", title: t("key"), className: "mono", dataIndex: "key" },
    { key: "type", title: t("type"), render: (_, f) => t(`types.${f.type}`) },
    { key: "options", title: t("options"), className: "small", render: (_, f) => f.options.join("、") },
    { key: "values", title: t("values"), dataIndex: "value_count" },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("actions")}</span>,
      className: "actions",
      render: (_, f) => <FieldActions field={f} base={base} canManage={canManage} onEdit={() => onEdit(f)} onChanged={onChanged} />,
    },
  ];
  return (
    <div>
      <h3>{title}</h3>
      <Table<FieldDef>
        className="settings-table"
        rowKey="id"
        columns={columns}
        dataSource={fields}
        pagination={false}
        size="small"
        components={components}
        onRow={(f) => ({ "data-field-key": f.key }) as HTMLAttributes<HTMLElement>}
      />
    </div>
  );
}

function FieldActions({
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
  const [modal, modalHolder] = Modal.useModal();
  const { errors, busy, submit } = useSubmit();
  const remove = async () => {
    const done = await submit(() =>
      api
        .del(`${base}/${field.id}`)
        .catch(async (error: unknown) => {
          // Friends have values in it: deleting takes them too, so ask once more.
          if (error instanceof ApiError && error.code === "field_in_use" && (await ask(modal, localized(error.message, i18n.language), t))) {
            return api.del(`${base}/${field.id}?force=true`);
          }
          throw error;
        })
        .then(() => true),
    );
    if (done) onChanged();
  };
  return (
    <>
      {modalHolder}
      {canManage && (
        <Flex gap={4} justify="end">
          <Button size="small" onClick={onEdit}>
            {t("edit")}
          </Button>
          <Popconfirm
            title={t("confirm_delete", { name: field.label })}
            okText={t("delete")}
            cancelText={t("cancel")}
            okButtonProps={{ danger: true }}
            onConfirm={() => void remove()}
          >
            <Button size="small" danger loading={busy}>
              {t("delete")}
            </Button>
          </Popconfirm>
        </Flex>
      )}
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}

/** Asks once more (the server's words on what would be lost) in a dialog; true to go on. */
async function ask(modal: ReturnType<typeof Modal.useModal>[0], question: string, t: (key: string) => string): Promise<boolean> {
  return modal.confirm({
    title: question,
    okText: t("go_on"),
    cancelText: t("cancel"),
    okButtonProps: { danger: true },
  });
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
  const [modal, modalHolder] = Modal.useModal();
  const id = useId();
  const at = (name: string) => `${id}-${name}`;
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
      request().catch(async (error: unknown) => {
        // Choices friends hold would be taken out of their values: only after asking.
        if (!force && error instanceof ApiError && error.code === "options_in_use" && (await ask(modal, localized(error.message, i18n.language), t))) {
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
      {modalHolder}
      <Flex gap={12} wrap>
        <Field label={t("key")} name="key" errors={errors} hint={field ? undefined : t("key_hint")} id={at("key")}>
          <Input id={at("key")} value={key} onChange={(e) => setKey(e.target.value)} disabled={!!field} className="mono" />
        </Field>
        <Field label={t("label")} name="label" errors={errors} id={at("label")}>
          <Input id={at("label")} value={label} onChange={(e) => setLabel(e.target.value)} />
        </Field>
        <Field label={t("label_en")} name="label_en" errors={errors} id={at("label_en")}>
          <Input id={at("label_en")} value={labelEn} onChange={(e) => setLabelEn(e.target.value)} />
        </Field>
      </Flex>
      <Flex gap={12} align="end" wrap>
        <Field label={t("type")} name="type" errors={errors} id={at("type")}>
          <Select
            id={at("type")}
            value={type}
            onChange={(v: string) => setType(v)}
            options={FIELD_TYPES.map((ft) => ({ value: ft, label: t(`types.${ft}`) }))}
            popupMatchSelectWidth={false}
            style={{ minWidth: 160 }}
          />
        </Field>
        <Field label={t("group")} name="group" errors={errors} id={at("group")}>
          <Input id={at("group")} value={group} onChange={(e) => setGroup(e.target.value)} list={at("groups")} />
          <datalist id={at("groups")}>
            {groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </Field>
        <Checkbox checked={required} onChange={(e) => setRequired(e.target.checked)}>
          {t("required")}
        </Checkbox>
      </Flex>
      {CHOICE_TYPES.has(type) && (
        <Field label={t("options")} name="options" errors={errors} hint={t("options_hint")} id={at("options")}>
          <Input.TextArea id={at("options")} rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
        </Field>
      )}
      <FormProblems errors={errors} shown={["key", "label", "label_en", "type", "group", "options"]} />
      <Flex gap={8}>
        <Button type="primary" htmlType="submit" loading={busy}>
          {field ? t("save") : t("create")}
        </Button>
        <Button onClick={() => onDone(false)}>{t("cancel")}</Button>
      </Flex>
    </form>
  );
}
