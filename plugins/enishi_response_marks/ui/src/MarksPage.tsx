// Response marks (対応マーク): name, colour and the order they are listed in (↑/↓). Deleting a mark friends or
// messages still carry asks where to move them (or to take it off), as the server requires. A settings page of
// the plugin's module, in place of the generic page of the resource response_marks.marks.
import { api, ApiError, Field, FormProblems, Swatch, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";
import "./marks.css";

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

  if (!marks) return <p className="loading">{t("loading")}</p>;
  const ids = marks.map((m) => m.id);
  const reorder = async (id: number, by: -1 | 1) => {
    const result = await order.submit(() => api.put<Mark[]>(`${base}/order`, { mark_ids: moved(ids, id, by) }));
    if (result) setMarks(result);
  };
  return (
    <section className="settings-page" aria-labelledby="marks-title">
      <h2 id="marks-title">{t("title")}</h2>
      <p className="muted">{t("intro")}</p>
      {canManage && <NewMark base={base} onCreated={load} />}
      <FormProblems errors={order.errors} shown={[]} />
      {marks.length === 0 ? (
        <p className="empty">{t("none")}</p>
      ) : (
        <table className="list" aria-label={t("title")}>
          <thead>
            <tr>
              <th>{t("order")}</th>
              <th>{t("label")}</th>
              <th>{t("friends")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {marks.map((mark, n) => (
              <tr key={mark.id} data-mark={mark.label}>
                <td className="order">
                  {n + 1}
                  {canManage && (
                    <>
                      <button
                        type="button"
                        className="small"
                        aria-label={t("up", { name: mark.label })}
                        disabled={n === 0 || order.busy}
                        onClick={() => void reorder(mark.id, -1)}
                      >
                        ↑
                      </button>
                      <button
                        type="button"
                        className="small"
                        aria-label={t("down", { name: mark.label })}
                        disabled={n === marks.length - 1 || order.busy}
                        onClick={() => void reorder(mark.id, 1)}
                      >
                        ↓
                      </button>
                    </>
                  )}
                </td>
                <MarkCells mark={mark} marks={marks} base={base} canManage={canManage} onChanged={load} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
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
      <Field label={t("label")} name="label" errors={errors}>
        <input value={label} onChange={(e) => setLabel(e.target.value)} />
      </Field>
      <Field label={t("color")} name="color" errors={errors}>
        <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
      </Field>
      <button type="submit" className="primary" disabled={busy}>
        {t("create")}
      </button>
      <FormProblems errors={errors} shown={["label", "color"]} />
    </form>
  );
}

function MarkCells({
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
    <>
      <td>
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
            <Field label={t("label")} name="label" errors={errors}>
              <input value={label} onChange={(e) => setLabel(e.target.value)} autoFocus />
            </Field>
            <Field label={t("color")} name="color" errors={errors}>
              <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
            </Field>
            <button type="submit" className="small primary" disabled={busy}>
              {t("save")}
            </button>
            <button type="button" className="small" onClick={() => setEditing(false)}>
              {t("cancel")}
            </button>
          </form>
        ) : (
          <span className="mark-chip" style={{ borderColor: mark.color }}>
            <Swatch color={mark.color} /> {mark.label}
          </span>
        )}
      </td>
      <td>{mark.friend_count ?? ""}</td>
      <td className="actions">
        {canManage && !editing && (
          <button type="button" className="small" onClick={() => setEditing(true)}>
            {t("edit")}
          </button>
        )}
        {canManage && (
          <button
            type="button"
            className="small danger"
            disabled={busy}
            onClick={() => window.confirm(t("confirm_delete", { name: mark.label })) && void remove()}
          >
            {t("delete")}
          </button>
        )}
        <FormProblems errors={errors} shown={editing ? ["label", "color"] : ["reassign_to"]} />
        {inUse && (
          <div className="row">
            <label className="field">
              <span className="field-label">{t("move_to")}</span>
              <select value={moveTo} onChange={(e) => setMoveTo(e.target.value)}>
                <option value="">{t("clear")}</option>
                {marks
                  .filter((m) => m.id !== mark.id)
                  .map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.label}
                    </option>
                  ))}
              </select>
            </label>
            <button
              type="button"
              className="small danger"
              disabled={busy}
              onClick={() => void remove(moveTo ? `?reassign_to=${moveTo}` : "?clear=true")}
            >
              {t("delete_anyway")}
            </button>
          </div>
        )}
      </td>
    </>
  );
}
