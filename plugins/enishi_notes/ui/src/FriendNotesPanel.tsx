// A friend's notes on the friend's page: a note to write, the notes pinned first then newest first (twenty at a
// time), and for each note its author may edit: editing it and pinning it.
import { api, errorText, formatTime, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { Alert, Button, Flex, Input, Tag, Typography } from "antd";
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
  const editId = `friend-${friendId}-note-edit`;
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
        <Input.TextArea id={newId} rows={2} value={draft} placeholder={t("panel.new")} onChange={(e) => setDraft(e.target.value)} />
        <Button htmlType="submit" disabled={!draft.trim()}>
          {t("panel.add")}
        </Button>
      </form>
      {notes === null ? (
        <Typography.Text type="secondary">{t("loading")}</Typography.Text>
      ) : notes.length === 0 ? (
        <Typography.Text type="secondary">{t("panel.none")}</Typography.Text>
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
                  <div className="field">
                    <label htmlFor={editId}>{t("panel.edit_note")}</label>
                    <Input.TextArea
                      id={editId}
                      rows={3}
                      value={editing.body}
                      onChange={(e) => setEditing({ id: n.id, body: e.target.value })}
                    />
                  </div>
                  <Flex gap={8} style={{ marginTop: 6 }}>
                    <Button type="primary" size="small" htmlType="submit" disabled={!editing.body.trim()}>
                      {t("panel.save")}
                    </Button>
                    <Button size="small" onClick={() => setEditing(null)}>
                      {t("panel.cancel")}
                    </Button>
                  </Flex>
                </form>
              ) : (
                <>
                  <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 2 }}>{n.body}</Typography.Paragraph>
                  <Flex gap={4} align="center" wrap>
                    {n.pinned && (
                      <Tag color="gold" bordered={false}>
                        {t("panel.pinned")}
                      </Tag>
                    )}
                    <Typography.Text type="secondary" className="small">
                      {formatTime(n.created_at, timezone)}
                      {n.edits > 0 && ` · ${t("panel.edited")}`}
                    </Typography.Text>
                    {n.can_edit && (
                      <>
                        <Button type="link" size="small" onClick={() => setEditing({ id: n.id, body: n.body })}>
                          {t("panel.edit")}
                        </Button>
                        <Button
                          type="link"
                          size="small"
                          onClick={() => void act(api.patch(workspaceUrl(ws, `/${PLUGIN}/${n.id}`), { pinned: !n.pinned }))}
                        >
                          {n.pinned ? t("panel.unpin") : t("panel.pin")}
                        </Button>
                      </>
                    )}
                  </Flex>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {next && (
        <Button
          style={{ marginTop: 6 }}
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
        </Button>
      )}
      {error && <Alert type="error" showIcon={false} message={error} style={{ marginTop: 6 }} />}
    </section>
  );
}
