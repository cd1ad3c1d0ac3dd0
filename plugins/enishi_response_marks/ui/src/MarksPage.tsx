// Response marks (対応マーク): name, colour and the order they are listed in (↑/↓). Deleting a mark friends or
// messages still carry asks where to move them (or to take it off), as the server requires. A settings page of
// the plugin's module, in place of the generic page of the resource response_marks.marks.
import { api, ApiError, ColorInput, Field, FormProblems, Swatch, useNamedTable, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { Button, Empty, Flex, Input, Popconfirm, Select, Table, Tag, Typography, type TableColumnsType } from "antd";
import { useCallback, useEffect, useId, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

interface Mark {
  id: number;
  label: string;
  color: string;
  sort_order: number;
  friend_count?: number;
}

/** The ids in their new order after moving one up (-1) or down (+1). */
export function moved(ids: number[], id: number, by: -1 | 1): number[] {
  const at = ids.indexOf(id);
  const to = at + by;
  if (at < 0 || to < 0 || to >= ids.length) return ids;
  const out = [...ids];
  [out[at], out[to]] = [out[to], out[at]];
  return out;
}

export function MarksPage({ workspaceId, permissions }: WorkspaceProps) {
  const { t } = useTranslation(PLUGIN);
  const base = workspaceUrl(workspaceId, "/response_marks/marks");
  const canManage = permissions.includes("response_marks.manage");
  const [marks, setMarks] = useState<Mark[] | null>(null);
  const load = useCallback(async () => setMarks(await api.get<Mark[]>(base)), [base]);
  useEffect(() => {
    void load();
  }, [load]);
  const order = useSubmit();
  const title = t("title");
  const components = useNamedTable(title);

  if (!marks) return <p className="loading">{t("loading")}</p>;
  const ids = marks.map((m) => m.id);
  const reorder = async (id: number, by: -1 | 1) => {
    const result = await order.submit(() => api.put<Mark[]>(`${base}/order`, { mark_ids: moved(ids, id, by) }));
    if (result) setMarks(result);
  };
  const columns: TableColumnsType<Mark> = [
    {
      key: "order",
      title: t("order"),
      className: "order",
      render: (_, mark, n) => (
        <Flex gap={4} align="center">
          {n + 1}
          {canManage && (
            <>
              <Button
                size="small"
                aria-label={t("up", { name: mark.label })}
                disabled={n === 0 || order.busy}
                onClick={() => void reorder(mark.id, -1)}
              >
                ↑
              </Button>
              <Button
                size="small"
                aria-label={t("down", { name: mark.label })}
                disabled={n === marks.length - 1 || order.busy}
                onClick={() => void reorder(mark.id, 1)}
              >
                ↓
              </Button>
            </>
          )}
        </Flex>
      ),
    },
    {
      key: "mark",
      title: t("label"),
      render: (_, mark) => <MarkCell mark={mark} marks={marks} base={base} canManage={canManage} onChanged={load} />,
    },
    { key: "friends", title: t("friends"), render: (_, mark) => mark.friend_count ?? "" },
  ];
  return (
    <section className="settings-page" aria-labelledby="marks-title">
      <h2 id="marks-title">{title}</h2>
      <Typography.Paragraph type="secondary">{t("intro")}</Typography.Paragraph>
      {canManage && <NewMark base={base} onCreated={load} />}
      <FormProblems errors={order.errors} shown={[]} />
      {marks.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("none")} />
      ) : (
        <Table<Mark>
          className="settings-table"
          rowKey="id"
          columns={columns}
          dataSource={marks}
          pagination={false}
          size="small"
          components={components}
          onRow={(mark) => ({ "data-mark": mark.label }) as HTMLAttributes<HTMLElement>}
        />
      )}
    </section>
  );
}

/** A mark's name and colour, as inputs in a form's fields. */
function MarkFields({
  label,
  color,
  onLabel,
  onColor,
  errors,
  autoFocus,
}: {
  label: string;
  color: string;
  onLabel: (v: string) => void;
  onColor: (v: string) => void;
  errors: ReturnType<typeof useSubmit>["errors"];
  autoFocus?: boolean;
}) {
  const { t } = useTranslation(PLUGIN);
  const id = useId();
  return (
    <>
      <Field label={t("label")} name="label" errors={errors} id={`${id}-label`}>
        <Input id={`${id}-label`} value={label} onChange={(e) => onLabel(e.target.value)} autoFocus={autoFocus} />
      </Field>
      <Field label={t("color")} name="color" errors={errors} id={`${id}-color`}>
        <ColorInput id={`${id}-color`} value={color} onChange={onColor} />
      </Field>
    </>
  );
}

function NewMark({ base, onCreated }: { base: string; onCreated: () => void }) {
  const { t } = useTranslation(PLUGIN);
  const [label, setLabel] = useState("");
  const [color, setColor] = useState("#e0245e");
  const { errors, busy, submit } = useSubmit();
  return (
    <form
      className="row panel"
      aria-label={t("new")}
      onSubmit={async (e) => {
        e.preventDefault();
        if (await submit(() => api.post(base, { label, color }))) {
          setLabel("");
          onCreated();
        }
      }}
    >
      <MarkFields label={label} color={color} onLabel={setLabel} onColor={setColor} errors={errors} />
      <Button type="primary" htmlType="submit" loading={busy}>
        {t("create")}
      </Button>
      <FormProblems errors={errors} shown={["label", "color"]} />
    </form>
  );
}

function MarkCell({
  mark,
  marks,
  base,
  canManage,
  onChanged,
}: {
  mark: Mark;
  marks: Mark[];
  base: string;
  canManage: boolean;
  onChanged: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const [editing, setEditing] = useState(false);
  const [label, setLabel] = useState(mark.label);
  const [color, setColor] = useState(mark.color);
  // Set when the server refused to delete a mark in use: where its friends and messages should go.
  const [inUse, setInUse] = useState(false);
  const [moveTo, setMoveTo] = useState("");
  const moveToId = useId();
  const { errors, busy, submit } = useSubmit();
  const remove = async (query = "") => {
    const done = await submit(() =>
      api.del(`${base}/${mark.id}${query}`).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ApiError && error.code === "mark_in_use") setInUse(true);
          throw error;
        },
      ),
    );
    if (done) onChanged();
  };
  return (
    <Flex vertical gap={6}>
      <Flex gap={8} align="center" wrap>
        {editing ? (
          <form
            className="row"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await submit(() => api.patch(`${base}/${mark.id}`, { label, color }))) {
                setEditing(false);
                onChanged();
              }
            }}
          >
            <MarkFields label={label} color={color} onLabel={setLabel} onColor={setColor} errors={errors} autoFocus />
            <Button size="small" type="primary" htmlType="submit" loading={busy}>
              {t("save")}
            </Button>
            <Button size="small" onClick={() => setEditing(false)}>
              {t("cancel")}
            </Button>
          </form>
        ) : (
          <Tag bordered={false} style={{ borderLeft: `4px solid ${mark.color}` }}>
            <Swatch color={mark.color} /> {mark.label}
          </Tag>
        )}
        <span className="grow" />
        {canManage && !editing && (
          <Button size="small" onClick={() => setEditing(true)}>
            {t("edit")}
          </Button>
        )}
        {canManage && (
          <Popconfirm
            title={t("confirm_delete", { name: mark.label })}
            okText={t("delete")}
            cancelText={t("cancel")}
            okButtonProps={{ danger: true }}
            onConfirm={() => void remove()}
          >
            <Button size="small" danger loading={busy}>
              {t("delete")}
            </Button>
          </Popconfirm>
        )}
      </Flex>
      <FormProblems errors={errors} shown={editing ? ["label", "color"] : ["reassign_to"]} />
      {inUse && (
        <Flex gap={8} align="end" wrap>
          <div className="field">
            <label htmlFor={moveToId}>{t("move_to")}</label>
            <Select
              id={moveToId}
              value={moveTo}
              onChange={(v: string) => setMoveTo(v)}
              options={[
                { value: "", label: t("clear") },
                ...marks.filter((m) => m.id !== mark.id).map((m) => ({ value: String(m.id), label: m.label })),
              ]}
              popupMatchSelectWidth={false}
              style={{ minWidth: 200 }}
            />
          </div>
          <Button
            size="small"
            danger
            loading={busy}
            onClick={() => void remove(moveTo ? `?reassign_to=${moveTo}` : "?clear=true")}
          >
            {t("delete_anyway")}
          </Button>
        </Flex>
      )}
    </Flex>
  );
}
