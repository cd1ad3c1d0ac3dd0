// A friend's page: profile, then what the workspace's plugins keep about the friend (tags, response mark,
// fields, notes, assignee, member card, first route …) and the chat thread with a reply box.
// Each block shows only when its plugin is on; sources of other plugins show read-only from the profile.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../../api";
import { ConfigForm } from "../../forms/ConfigForm";
import { LookupContext, useOptions, type Option } from "../../forms/pickers";
import { localized } from "../../i18n";
import { navigate } from "../../router";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import { ChatThread } from "../inbox/ChatThread";
import { AssigneeControl, MarkControl } from "../inbox/FriendControls";
import { sectionUrl } from "../sections";
import { cellText, formatTime, type Profile } from "./types";

// Sources with an editor of their own below; every other source shows its values as they are.
const EDITED_SOURCES = new Set(["tags", "response_marks", "friend_fields", "assignment", "notes"]);

const message = (e: unknown) =>
  e instanceof ApiError && e.errors.length
    ? e.errors.map((x) => (x.path ? `${x.path}: ${x.message}` : x.message)).join(" / ")
    : e instanceof Error
      ? e.message
      : String(e);

export function FriendPage({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const tz = access.workspace.timezone;
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const on = (plugin: string) => access.enabled_plugins.includes(plugin);
  const lookupSource = useMemo(
    () => ({ workspaceId: ws, enabledPlugins: access.enabled_plugins }),
    [ws, access.enabled_plugins],
  );

  useEffect(() => {
    api
      .get<Profile>(workspaceUrl(ws, `/friends/${friendId}`))
      .then((p) => {
        setProfile(p);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof ApiError && e.status === 404 ? t("friends.page.not_found") : message(e)));
  }, [ws, friendId, version, t]);

  const back = (
    <a
      href={sectionUrl(ws, "friends")}
      onClick={(e) => {
        e.preventDefault();
        navigate(sectionUrl(ws, "friends"));
      }}
    >
      ← {t("friends.page.back")}
    </a>
  );
  if (error)
    return (
      <div className="page">
        {back}
        <p className="error" role="alert">
          {error}
        </p>
      </div>
    );
  if (!profile) return <p className="loading">{t("common.loading")}</p>;
  const others = profile.fields.filter((s) => !EDITED_SOURCES.has(s.plugin) && s.values.length > 0);

  return (
    <LookupContext.Provider value={lookupSource}>
      <div className="page friend-page">
        <nav className="breadcrumb" aria-label={t("friends.page.breadcrumb")}>
          {back}
        </nav>
        <header className="friend-head">
          {profile.picture_url ? (
            <img className="friend-picture" src={profile.picture_url} alt="" />
          ) : (
            <span className="friend-picture" aria-hidden="true" />
          )}
          <div>
            <h1>{profile.display_name || t("friends.no_name")}</h1>
            <p className="muted">
              <span className={`badge status-${profile.status}`}>{t(`friends.status.${profile.status}`, profile.status)}</span>{" "}
              {t("friends.page.followed_at", { at: formatTime(profile.followed_at, tz) })}
              {profile.blocked_at && <> · {t("friends.page.blocked_at", { at: formatTime(profile.blocked_at, tz) })}</>}
              {profile.last_inbound_at && (
                <> · {t("friends.page.last_inbound_at", { at: formatTime(profile.last_inbound_at, tz) })}</>
              )}
            </p>
            {profile.status_message && <p className="pre">{profile.status_message}</p>}
            <p className="muted small mono">{profile.line_user_id}</p>
          </div>
        </header>

        <div className="friend-body">
          <div className="friend-info">
            {on("tags") && <TagsBlock access={access} friendId={friendId} onChange={reload} />}
            {on("response_marks") && <MarkBlock access={access} friendId={friendId} />}
            {on("assignment") && <AssigneeBlock access={access} friendId={friendId} />}
            {on("friend_fields") && <FieldsBlock access={access} friendId={friendId} />}
            {others.map((s) => (
              <section key={`${s.plugin}.${s.source}`} className="friend-block" aria-label={localized(s.label, i18n.language)}>
                <h2>{localized(s.label, i18n.language)}</h2>
                <dl className="friend-values">
                  {s.values.map((v) => (
                    <div key={v.key}>
                      <dt>{localized(v.label, i18n.language)}</dt>
                      <dd>{cellText(v.value, v.value_schema, tz, t("friends.yes")) || "—"}</dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
            {on("notes") && <NotesBlock access={access} friendId={friendId} />}
          </div>
          {/* ChatThread is a region named after the talk itself. */}
          <div className="friend-chat">
            <h2>{t("friends.page.chat")}</h2>
            <ChatThread access={access} friendId={friendId} />
          </div>
        </div>
      </div>
    </LookupContext.Provider>
  );
}

interface FriendTag {
  tag_id: number;
  name: string;
  color: string;
  added_at: string;
  source: string;
}

function TagsBlock({ access, friendId, onChange }: { access: WorkspaceAccess; friendId: number; onChange: () => void }) {
  const { t } = useTranslation();
  const base = workspaceUrl(access.workspace.id, `/tags/friends/${friendId}`);
  const [tags, setTags] = useState<FriendTag[] | null>(null);
  const [adding, setAdding] = useState("");
  const [error, setError] = useState<string | null>(null);
  const { options } = useOptions("tags.tags");
  const load = useCallback(() => api.get<FriendTag[]>(base).then(setTags).catch((e) => setError(message(e))), [base]);
  useEffect(() => {
    void load();
  }, [load]);
  const act = (p: Promise<unknown>) =>
    p
      .then(() => {
        setError(null);
        onChange();
        return load();
      })
      .catch((e) => setError(message(e)));
  const have = new Set((tags ?? []).map((x) => x.tag_id));
  const addable = (options ?? []).filter((o) => !have.has(Number(o.value)));
  return (
    <section className="friend-block" aria-label={t("friends.page.tags")}>
      <h2>{t("friends.page.tags")}</h2>
      {tags === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : tags.length === 0 ? (
        <p className="muted">{t("friends.page.no_tags")}</p>
      ) : (
        <ul className="tag-chips">
          {tags.map((tag) => (
            <li key={tag.tag_id} className="tag-chip">
              <span className="swatch" style={{ background: tag.color }} />
              {tag.name}
              <button
                type="button"
                className="small"
                aria-label={t("friends.page.remove_tag", { name: tag.name })}
                onClick={() => void act(api.del(`${base}/${tag.tag_id}`))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="row">
        <label className="field">
          {t("friends.page.tag_to_add")}
          <select value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">{t("picker.choose")}</option>
            {addable.map((o: Option) => (
              <option key={String(o.value)} value={String(o.value)}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!adding}
          onClick={() => {
            void act(api.put(`${base}/${adding}`));
            setAdding("");
          }}
        >
          {t("friends.page.add_tag")}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function MarkBlock({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t } = useTranslation();
  return (
    <section className="friend-block" aria-label={t("friends.page.mark")}>
      <MarkControl access={access} friendId={friendId} />
    </section>
  );
}

function AssigneeBlock({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t } = useTranslation();
  return (
    <section className="friend-block" aria-label={t("friends.page.assignee")}>
      <AssigneeControl access={access} friendId={friendId} />
    </section>
  );
}

interface FieldDef {
  key: string;
  label: string;
  label_en: string;
  type: string;
  required: boolean;
  description: string;
  value_schema: Record<string, unknown>;
}

/** The friend's fields as one form generated from each field's value schema; file fields are left out. */
export function fieldsFormType(fields: FieldDef[], lang: string): NodeTypeDef {
  const properties: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.type === "file") continue;
    const title = lang === "en" && f.label_en ? f.label_en : f.label;
    const schema: Record<string, unknown> = { ...f.value_schema, title, ...(f.description ? { description: f.description } : {}) };
    // Empty is allowed in the form: an emptied field is cleared (null) when saved.
    const types = ([] as unknown[]).concat(schema.type ?? []);
    properties[f.key] = types.length && !types.includes("null") ? { ...schema, type: [...types, "null"] } : schema;
  }
  return {
    key: "friend_fields.values",
    kind: "action",
    version: 1,
    plugin: "friend_fields",
    label: { ja: "友だち情報" },
    description: null,
    config_schema: { type: "object", properties },
    ui_schema: {},
    inputs: [],
    outputs: [],
    allowed_targets: null,
    deprecated: false,
  };
}

/** What changed between the stored values and the form: new values, and null for cleared ones. */
export function changedValues(stored: Record<string, unknown>, form: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(stored), ...Object.keys(form)]);
  for (const key of keys) {
    const before = stored[key] ?? null;
    let after = form[key] ?? null;
    if (after === "" || (Array.isArray(after) && after.length === 0)) after = null;
    if (JSON.stringify(before) !== JSON.stringify(after)) out[key] = after;
  }
  return out;
}

function FieldsBlock({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const url = workspaceUrl(ws, `/friend_fields/friends/${friendId}`);
  const [fields, setFields] = useState<FieldDef[] | null>(null);
  const [stored, setStored] = useState<Record<string, unknown>>({});
  const [form, setForm] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    Promise.all([
      api.get<FieldDef[]>(workspaceUrl(ws, "/friend_fields/fields")),
      api.get<{ values: Record<string, unknown> }>(url),
    ])
      .then(([defs, values]) => {
        setFields(defs);
        setStored(values.values);
        setForm(values.values);
      })
      .catch((e) => setError(message(e)));
  }, [ws, url]);
  const formType = useMemo(() => (fields ? fieldsFormType(fields, i18n.language) : null), [fields, i18n.language]);
  const changes = changedValues(stored, form);
  const files = (fields ?? []).filter((f) => f.type === "file");
  const save = () =>
    api
      .patch<{ values: Record<string, unknown> }>(url, { values: changes })
      .then((r) => {
        setStored(r.values);
        setForm(r.values);
        setError(null);
        setSaved(true);
      })
      .catch((err) => {
        setError(message(err));
        setSaved(false);
      });
  return (
    <section className="friend-block" aria-label={t("friends.page.fields")}>
      <h2>{t("friends.page.fields")}</h2>
      {!fields || !formType ? (
        !error && <p className="muted">{t("common.loading")}</p>
      ) : fields.length === 0 ? (
        <p className="muted">{t("friends.page.no_fields")}</p>
      ) : (
        <div className="fields-form">
          {/* Not a <form>: the generated form renders one of its own. */}
          <ConfigForm
            nodeType={formType}
            config={form}
            idPrefix={`friend-${friendId}-fields`}
            onChange={(next) => {
              setForm(next);
              setSaved(false);
            }}
          />
          {files.map((f) =>
            stored[f.key] ? (
              <p key={f.key}>
                {f.label}:{" "}
                <a href={`${url}/files/${encodeURIComponent(f.key)}`} download>
                  {t("friends.page.download")}
                </a>
              </p>
            ) : null,
          )}
          <div className="row">
            <button type="button" className="primary" disabled={Object.keys(changes).length === 0} onClick={save}>
              {t("friends.page.save_fields")}
            </button>
            {saved && (
              <span className="ok" role="status">
                {t("friends.page.saved")}
              </span>
            )}
          </div>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
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

function NotesBlock({ access, friendId }: { access: WorkspaceAccess; friendId: number }) {
  const { t } = useTranslation();
  const ws = access.workspace.id;
  const listUrl = workspaceUrl(ws, `/notes/friends/${friendId}`);
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
        .catch((e) => setError(message(e))),
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
      .catch((e) => setError(message(e)));
  const newId = `friend-${friendId}-note`;
  return (
    <section className="friend-block" aria-label={t("friends.page.notes")}>
      <h2>{t("friends.page.notes")}</h2>
      <form
        className="note-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(api.post(listUrl, { body: draft }), () => setDraft(""));
        }}
      >
        <label htmlFor={newId} className="visually-hidden">
          {t("friends.page.new_note")}
        </label>
        <textarea
          id={newId}
          rows={2}
          value={draft}
          placeholder={t("friends.page.new_note")}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" disabled={!draft.trim()}>
          {t("friends.page.add_note")}
        </button>
      </form>
      {notes === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : notes.length === 0 ? (
        <p className="muted">{t("friends.page.no_notes")}</p>
      ) : (
        <ul className="notes">
          {notes.map((n) => (
            <li key={n.id} className={n.pinned ? "pinned" : undefined}>
              {editing?.id === n.id ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act(api.patch(workspaceUrl(ws, `/notes/${n.id}`), { body: editing.body }), () => setEditing(null));
                  }}
                >
                  <label className="field">
                    {t("friends.page.edit_note")}
                    <textarea rows={3} value={editing.body} onChange={(e) => setEditing({ id: n.id, body: e.target.value })} />
                  </label>
                  <div className="row">
                    <button type="submit" className="primary" disabled={!editing.body.trim()}>
                      {t("friends.page.save_note")}
                    </button>
                    <button type="button" onClick={() => setEditing(null)}>
                      {t("friends.cancel")}
                    </button>
                  </div>
                </form>
              ) : (
                <>
                  <p className="pre">{n.body}</p>
                  <p className="muted small">
                    {n.pinned && <span className="badge">{t("friends.page.pinned")}</span>}{" "}
                    {formatTime(n.created_at, access.workspace.timezone)}
                    {n.edits > 0 && ` · ${t("friends.page.edited")}`}
                    {n.can_edit && (
                      <>
                        {" "}
                        <button type="button" className="link" onClick={() => setEditing({ id: n.id, body: n.body })}>
                          {t("common.edit")}
                        </button>{" "}
                        <button
                          type="button"
                          className="link"
                          onClick={() => void act(api.patch(workspaceUrl(ws, `/notes/${n.id}`), { pinned: !n.pinned }))}
                        >
                          {n.pinned ? t("friends.page.unpin") : t("friends.page.pin")}
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
              .catch((e) => setError(message(e)))
          }
        >
          {t("friends.more")}
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
