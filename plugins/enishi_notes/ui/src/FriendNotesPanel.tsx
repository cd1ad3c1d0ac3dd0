// A friend's notes on the friend's page: a note to write, the notes pinned first then newest first (twenty at a
// time), and for each note its author may edit: editing it and pinning it.
import { api, errorText, formatTime, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

interface Note {
  id: number;
  body: string;
  author_user_id: number | null;
  source: string;
  pinned: boolean;
  created_at: string;
  updated_at: string;
  edits: number;
  can_edit: boolean;
}

export function FriendNotesPanel({ workspaceId: ws, friendId, timezone }: FriendPanelProps) {
  const { t } = useTranslation(PLUGIN);
  const listUrl = workspaceUrl(ws, `/${PLUGIN}/friends/${friendId}`);
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [editing, setEditing] = useState<{ id: number; body: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    () =>
      api
        .get<{ items: Note[]; next: string | null }>(`${listUrl}?limit=20`)
        .then((p) => {
          setNotes(p.items);
          setNext(p.next);
        })
        .catch((e) => setError(errorText(e))),
    [listUrl],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const act = (p: Promise<unknown>, after?: () => void) =>
    p
      .then(() => {
        setError(null);
        after?.();
        return load();
      })
      .catch((e) => setError(errorText(e)));
  const newId = `friend-${friendId}-note`;
  return (
    <section className="friend-block" aria-label={t("panel.title")}>
      <h2>{t("panel.title")}</h2>
      <form
        className="note-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(api.post(listUrl, { body: draft }), () => setDraft(""));
        }}
      >
        <label htmlFor={newId} className="visually-hidden">
          {t("panel.new")}
        </label>
        <textarea
          id={newId}
          rows={2}
          value={draft}
          placeholder={t("panel.new")}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" disabled={!draft.trim()}>
          {t("panel.add")}
        </button>
      </form>
      {notes === null ? (
        <p className="muted">{t("loading")}</p>
      ) : notes.length === 0 ? (
        <p className="muted">{t("panel.none")}</p>
      ) : (
        <ul className="notes">
          {notes.map((n) => (
            <li key={n.id} className={n.pinned ? "pinned" : undefined}>
              {editing?.id === n.id ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act(api.patch(workspaceUrl(ws, `/${PLUGIN}/${n.id}`), { body: editing.body }), () => setEditing(null));
                  }}
                >
                  <label className="field">
                    {t("panel.edit_note")}
                    <textarea rows={3} value={editing.body} onChange={(e) => setEditing({ id: n.id, body: e.target.value })} />
                  </label>
                  <div className="row">
                    <button type="submit" className="primary" disabled={!editing.body.trim()}>
                      {t("panel.save")}
                    </button>
                    <button type="button" onClick={() => setEditing(null)}>
                      {t("panel.cancel")}
                    </button>
                  </div>
                </form>
              ) : (
                <>
                  <p className="pre">{n.body}</p>
                  <p className="muted small">
                    {n.pinned && <span className="badge">{t("panel.pinned")}</span>}{" "}
                    {formatTime(n.created_at, timezone)}
                    {n.edits > 0 && ` · ${t("panel.edited")}`}
                    {n.can_edit && (
                      <>
                        {" "}
                        <button type="button" className="link" onClick={() => setEditing({ id: n.id, body: n.body })}>
                          {t("panel.edit")}
                        </button>{" "}
                        <button
                          type="button"
                          className="link"
                          onClick={() => void act(api.patch(workspaceUrl(ws, `/${PLUGIN}/${n.id}`), { pinned: !n.pinned }))}
                        >
                          {n.pinned ? t("panel.unpin") : t("panel.pin")}
                        </button>
                      </>
                    )}
                  </p>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button
          type="button"
          onClick={() =>
            api
              .get<{ items: Note[]; next: string | null }>(`${listUrl}?limit=20&after=${encodeURIComponent(next)}`)
              .then((p) => {
                setNotes((prev) => [...(prev ?? []), ...p.items]);
                setNext(p.next);
              })
              .catch((e) => setError(errorText(e)))
          }
        >
          {t("panel.more")}
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
