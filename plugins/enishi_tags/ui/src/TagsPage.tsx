// Tags and their folders (タグ管理): create, rename, move between folders, pin as a friend-list column, delete
// (the server's refusal is shown where it applies; running scenarios that use a tag ask once more). A settings
// page of the plugin's module, in place of the generic page of the resource tags.tags.
import {
  api,
  ApiError,
  Field,
  FormProblems,
  localized,
  Swatch,
  useSubmit,
  workspaceUrl,
  type WorkspaceProps,
} from "@enishi/plugin-ui";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";
import "./tags.css";

interface Folder {
  id: number;
  name: string;
  sort_order: number;
  tag_count: number;
}

interface Tag {
  id: number;
  name: string;
  color: string;
  folder_id: number | null;
  description: string;
  pinned: boolean;
  friend_count: number;
}

/** Which tags are listed: all, those without a folder, or one folder's. */
type Shown = "all" | "unfiled" | number;

export function TagsPage({ workspaceId, permissions }: WorkspaceProps) {
  const { t } = useTranslation(PLUGIN);
  const url = (path: string) => workspaceUrl(workspaceId, `/tags${path}`);
  const canManage = permissions.includes("tags.manage");
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const [tags, setTags] = useState<Tag[] | null>(null);
  const [shown, setShown] = useState<Shown>("all");
  const load = useCallback(async () => {
    const [f, tg] = await Promise.all([api.get<Folder[]>(url("/folders")), api.get<Tag[]>(url("/"))]);
    setFolders(f);
    setTags(tg);
  }, [workspaceId]); // eslint-disable-line react-hooks/exhaustive-deps -- url follows the workspace
  useEffect(() => {
    void load();
  }, [load]);

  if (!folders || !tags) return <p className="loading">{t("loading")}</p>;
  const listed = tags.filter((tag) =>
    shown === "all" ? true : shown === "unfiled" ? tag.folder_id === null : tag.folder_id === shown,
  );
  const folder = typeof shown === "number" ? folders.find((f) => f.id === shown) : undefined;
  return (
    <section className="settings-page" aria-labelledby="tags-title">
      <h2 id="tags-title">{t("title")}</h2>
      <div className="two-pane">
        <nav className="folder-list" aria-label={t("folders")}>
          <FolderButton current={shown === "all"} onClick={() => setShown("all")} label={t("all")} count={tags.length} />
          <FolderButton
            current={shown === "unfiled"}
            onClick={() => setShown("unfiled")}
            label={t("unfiled")}
            count={tags.filter((x) => x.folder_id === null).length}
          />
          {folders.map((f) => (
            <FolderButton key={f.id} current={shown === f.id} onClick={() => setShown(f.id)} label={f.name} count={f.tag_count} />
          ))}
          {canManage && <NewFolder url={url} onCreated={(f) => (setShown(f.id), load())} />}
        </nav>
        <div className="grow">
          {folder && canManage && (
            <FolderEditor key={folder.id} folder={folder} url={url} onChanged={load} onDeleted={() => (setShown("all"), load())} />
          )}
          {canManage && <NewTag url={url} folders={folders} folderId={typeof shown === "number" ? shown : null} onCreated={load} />}
          {listed.length === 0 ? (
            <p className="empty">{t("none")}</p>
          ) : (
            <table className="list" aria-label={t("title")}>
              <thead>
                <tr>
                  <th>{t("name")}</th>
                  <th>{t("folder")}</th>
                  <th>{t("pinned")}</th>
                  <th>{t("friends")}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {listed.map((tag) => (
                  <TagRow key={tag.id} tag={tag} folders={folders} url={url} canManage={canManage} onChanged={load} />
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}

function FolderButton({ current, onClick, label, count }: { current: boolean; onClick: () => void; label: string; count: number }) {
  return (
    <button type="button" className="folder" aria-current={current ? "true" : undefined} onClick={onClick}>
      <span className="grow">{label}</span> <span className="badge">{count}</span>
    </button>
  );
}

function NewFolder({ url, onCreated }: { url: (p: string) => string; onCreated: (f: Folder) => void }) {
  const { t } = useTranslation(PLUGIN);
  const [name, setName] = useState("");
  const { errors, busy, submit } = useSubmit();
  return (
    <form
      className="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        const folder = await submit(() => api.post<Folder>(url("/folders"), { name }));
        if (folder) {
          setName("");
          onCreated(folder);
        }
      }}
    >
      <Field label={t("new_folder")} name="name" errors={errors}>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <FormProblems errors={errors} shown={["name"]} />
      <button type="submit" disabled={busy}>
        {t("create_folder")}
      </button>
    </form>
  );
}

function FolderEditor({
  folder,
  url,
  onChanged,
  onDeleted,
}: {
  folder: Folder;
  url: (p: string) => string;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const [name, setName] = useState(folder.name);
  const { errors, busy, submit } = useSubmit();
  return (
    <form
      className="row panel"
      aria-label={t("folder_settings")}
      onSubmit={async (e) => {
        e.preventDefault();
        if (await submit(() => api.patch(url(`/folders/${folder.id}`), { name }))) onChanged();
      }}
    >
      <Field label={t("folder_name")} name="name" errors={errors}>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <button type="submit" disabled={busy || name === folder.name}>
        {t("rename")}
      </button>
      <button
        type="button"
        className="danger"
        disabled={busy}
        onClick={async () => {
          if (!window.confirm(t("confirm_delete_folder", { name: folder.name }))) return;
          if ((await submit(() => api.del(url(`/folders/${folder.id}`)).then(() => true))) === true) onDeleted();
        }}
      >
        {t("delete_folder")}
      </button>
      <FormProblems errors={errors} shown={["name"]} />
    </form>
  );
}

function NewTag({
  url,
  folders,
  folderId,
  onCreated,
}: {
  url: (p: string) => string;
  folders: Folder[];
  folderId: number | null;
  onCreated: () => void;
}) {
  const { t } = useTranslation(PLUGIN);
  const [name, setName] = useState("");
  const [color, setColor] = useState("#4a90d9");
  const [folder, setFolder] = useState<number | null>(folderId);
  useEffect(() => setFolder(folderId), [folderId]);
  const { errors, busy, submit } = useSubmit();
  return (
    <form
      className="row panel"
      aria-label={t("new_tag")}
      onSubmit={async (e) => {
        e.preventDefault();
        if (await submit(() => api.post(url("/"), { name, color, folder_id: folder }))) {
          setName("");
          onCreated();
        }
      }}
    >
      <Field label={t("tag_name")} name="name" errors={errors}>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={t("color")} name="color" errors={errors}>
        <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
      </Field>
      <Field label={t("folder")} name="folder_id" errors={errors}>
        <FolderSelect folders={folders} value={folder} onChange={setFolder} />
      </Field>
      <button type="submit" className="primary" disabled={busy}>
        {t("create_tag")}
      </button>
      <FormProblems errors={errors} shown={["name", "color", "folder_id"]} />
    </form>
  );
}

function FolderSelect({
  folders,
  value,
  onChange,
  label,
  disabled,
}: {
  folders: Folder[];
  value: number | null;
  onChange: (v: number | null) => void;
  label?: string;
  disabled?: boolean;
}) {
  const { t } = useTranslation(PLUGIN);
  return (
    <select
      aria-label={label}
      value={value ?? ""}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
    >
      <option value="">{t("unfiled")}</option>
      {folders.map((f) => (
        <option key={f.id} value={f.id}>
          {f.name}
        </option>
      ))}
    </select>
  );
}

function TagRow({
  tag,
  folders,
  url,
  canManage,
  onChanged,
}: {
  tag: Tag;
  folders: Folder[];
  url: (p: string) => string;
  canManage: boolean;
  onChanged: () => void;
}) {
  const { t, i18n } = useTranslation(PLUGIN);
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color);
  const { errors, busy, submit } = useSubmit();
  const change = async (body: Record<string, unknown>) => {
    if (await submit(() => api.patch(url(`/${tag.id}`), body))) {
      setEditing(false);
      onChanged();
    }
  };
  return (
    <tr data-tag={tag.name}>
      <td>
        {editing ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void change({ name, color });
            }}
          >
            <Field label={t("tag_name")} name="name" errors={errors}>
              <input value={name} onChange={(e) => setName(e.target.value)} autoFocus />
            </Field>
            <Field label={t("color")} name="color" errors={errors}>
              <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
            </Field>
            <button type="submit" className="small primary" disabled={busy}>
              {t("save")}
            </button>
            <button type="button" className="small" onClick={() => (setEditing(false), setName(tag.name), setColor(tag.color))}>
              {t("cancel")}
            </button>
          </form>
        ) : (
          <>
            <Swatch color={tag.color} /> {tag.name}
          </>
        )}
      </td>
      <td>
        <FolderSelect
          label={t("move_to", { name: tag.name })}
          folders={folders}
          value={tag.folder_id}
          disabled={!canManage || busy}
          onChange={(folder_id) => void change({ folder_id })}
        />
      </td>
      <td>
        <input
          type="checkbox"
          aria-label={t("pin", { name: tag.name })}
          checked={tag.pinned}
          disabled={!canManage || busy}
          onChange={(e) => void change({ pinned: e.target.checked })}
        />
      </td>
      <td>{tag.friend_count}</td>
      <td className="actions">
        {canManage && !editing && (
          <button type="button" className="small" onClick={() => setEditing(true)}>
            {t("rename")}
          </button>
        )}
        {canManage && (
          <button
            type="button"
            className="small danger"
            disabled={busy}
            onClick={async () => {
              if (!window.confirm(t("confirm_delete", { name: tag.name, count: tag.friend_count }))) return;
              // Running scenarios that use the tag make the server refuse (in_use, naming them): ask once more.
              const remove = () =>
                api.del(url(`/${tag.id}`)).then(
                  () => true,
                  (error: unknown) => {
                    if (!(error instanceof ApiError) || error.code !== "in_use") throw error;
                    const scenarios = error.errors.map((e) => localized(e.message, i18n.language)).join("\n");
                    if (!window.confirm(t("confirm_in_use", { scenarios }))) throw error;
                    return api.del(url(`/${tag.id}?force=true`)).then(() => true);
                  },
                );
              if ((await submit(remove)) === true) onChanged();
            }}
          >
            {t("delete")}
          </button>
        )}
        <FormProblems errors={errors} shown={editing ? ["name", "color"] : []} />
      </td>
    </tr>
  );
}
