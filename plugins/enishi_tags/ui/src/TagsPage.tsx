// Tags and their folders (タグ管理): create, rename, move between folders, pin as a friend-list column, delete
// (the server's refusal is shown where it applies; running scenarios that use a tag ask once more). A settings
// page of the plugin's module, in place of the generic page of the resource tags.tags.
import {
  api,
  ApiError,
  ColorInput,
  Field,
  FormProblems,
  localized,
  Swatch,
  useNamedTable,
  useSubmit,
  workspaceUrl,
  type WorkspaceProps,
} from "@enishi/plugin-ui";
import { Button, Checkbox, Empty, Flex, Input, Modal, Popconfirm, Select, Table, Typography, type TableColumnsType } from "antd";
import { useCallback, useEffect, useId, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

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
  const title = t("title");
  const components = useNamedTable(title);

  if (!folders || !tags) return <p className="loading">{t("loading")}</p>;
  const listed = tags.filter((tag) =>
    shown === "all" ? true : shown === "unfiled" ? tag.folder_id === null : tag.folder_id === shown,
  );
  const folder = typeof shown === "number" ? folders.find((f) => f.id === shown) : undefined;
  const columns: TableColumnsType<Tag> = [
    {
      key: "name",
      title: t("name"),
      rowScope: "row",
      render: (_, tag) => <TagName tag={tag} url={url} canManage={canManage} onChanged={load} />,
    },
    {
      key: "folder",
      title: t("folder"),
      render: (_, tag) => <TagFolder tag={tag} folders={folders} url={url} canManage={canManage} onChanged={load} />,
    },
    {
      key: "pinned",
      title: t("pinned"),
      render: (_, tag) => <TagPin tag={tag} url={url} canManage={canManage} onChanged={load} />,
    },
    { key: "friends", title: t("friends"), dataIndex: "friend_count" },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("actions")}</span>,
      className: "actions",
      render: (_, tag) => (canManage ? <TagDelete tag={tag} url={url} onChanged={load} /> : null),
    },
  ];
  return (
    <section className="settings-page" aria-labelledby="tags-title">
      <h2 id="tags-title">{title}</h2>
      <Flex gap={16} align="start">
        <nav aria-label={t("folders")} style={{ width: 210, flex: "none" }}>
          <Flex vertical gap={4}>
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
          </Flex>
        </nav>
        <div className="grow">
          {folder && canManage && (
            <FolderEditor key={folder.id} folder={folder} url={url} onChanged={load} onDeleted={() => (setShown("all"), load())} />
          )}
          {canManage && <NewTag url={url} folders={folders} folderId={typeof shown === "number" ? shown : null} onCreated={load} />}
          {listed.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("none")} />
          ) : (
            <Table<Tag>
              className="settings-table"
              rowKey="id"
              columns={columns}
              dataSource={listed}
              pagination={false}
              size="small"
              components={components}
              onRow={(tag) => ({ "data-tag": tag.name }) as HTMLAttributes<HTMLElement>}
            />
          )}
        </div>
      </Flex>
    </section>
  );
}

function FolderButton({ current, onClick, label, count }: { current: boolean; onClick: () => void; label: string; count: number }) {
  return (
    <Button
      block
      color={current ? "primary" : "default"}
      variant={current ? "filled" : "text"}
      aria-current={current ? "true" : undefined}
      onClick={onClick}
      style={{ justifyContent: "space-between" }}
    >
      <span>{label}</span> <Typography.Text type="secondary">{count}</Typography.Text>
    </Button>
  );
}

function NewFolder({ url, onCreated }: { url: (p: string) => string; onCreated: (f: Folder) => void }) {
  const { t } = useTranslation(PLUGIN);
  const id = useId();
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
      <Field label={t("new_folder")} name="name" errors={errors} id={id}>
        <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <FormProblems errors={errors} shown={["name"]} />
      <Button htmlType="submit" loading={busy}>
        {t("create_folder")}
      </Button>
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
  const id = useId();
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
      <Field label={t("folder_name")} name="name" errors={errors} id={id}>
        <Input id={id} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Button htmlType="submit" loading={busy} disabled={name === folder.name}>
        {t("rename")}
      </Button>
      <Popconfirm
        title={t("confirm_delete_folder", { name: folder.name })}
        okText={t("delete")}
        cancelText={t("cancel")}
        okButtonProps={{ danger: true }}
        onConfirm={async () => {
          if ((await submit(() => api.del(url(`/folders/${folder.id}`)).then(() => true))) === true) onDeleted();
        }}
      >
        <Button danger disabled={busy}>
          {t("delete_folder")}
        </Button>
      </Popconfirm>
      <FormProblems errors={errors} shown={["name"]} />
    </form>
  );
}

/** A tag's name and colour, as inputs in a form's fields. */
function TagFields({
  name,
  color,
  onName,
  onColor,
  errors,
  autoFocus,
}: {
  name: string;
  color: string;
  onName: (v: string) => void;
  onColor: (v: string) => void;
  errors: ReturnType<typeof useSubmit>["errors"];
  autoFocus?: boolean;
}) {
  const { t } = useTranslation(PLUGIN);
  const id = useId();
  return (
    <>
      <Field label={t("tag_name")} name="name" errors={errors} id={`${id}-name`}>
        <Input id={`${id}-name`} value={name} onChange={(e) => onName(e.target.value)} autoFocus={autoFocus} />
      </Field>
      <Field label={t("color")} name="color" errors={errors} id={`${id}-color`}>
        <ColorInput id={`${id}-color`} value={color} onChange={onColor} />
      </Field>
    </>
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
  const id = useId();
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
      <TagFields name={name} color={color} onName={setName} onColor={setColor} errors={errors} />
      <Field label={t("folder")} name="folder_id" errors={errors} id={id}>
        <FolderSelect id={id} folders={folders} value={folder} onChange={setFolder} />
      </Field>
      <Button type="primary" htmlType="submit" loading={busy}>
        {t("create_tag")}
      </Button>
      <FormProblems errors={errors} shown={["name", "color", "folder_id"]} />
    </form>
  );
}

function FolderSelect({
  folders,
  value,
  onChange,
  id,
  label,
  disabled,
}: {
  folders: Folder[];
  value: number | null;
  onChange: (v: number | null) => void;
  id?: string;
  label?: string;
  disabled?: boolean;
}) {
  const { t } = useTranslation(PLUGIN);
  return (
    <Select
      id={id}
      aria-label={label}
      value={value === null ? "" : String(value)}
      disabled={disabled}
      onChange={(v: string) => onChange(v === "" ? null : Number(v))}
      options={[{ value: "", label: t("unfiled") }, ...folders.map((f) => ({ value: String(f.id), label: f.name }))]}
      popupMatchSelectWidth={false}
      style={{ minWidth: 140 }}
    />
  );
}

/** Sends a change of the tag; true once saved. Its problems are shown where it was made. */
function useTagChange(tag: Tag, url: (p: string) => string, onChanged: () => void) {
  const submitted = useSubmit();
  const change = async (body: Record<string, unknown>) => {
    if (await submitted.submit(() => api.patch(url(`/${tag.id}`), body))) {
      onChanged();
      return true;
    }
    return false;
  };
  return { ...submitted, change };
}

interface TagCellProps {
  tag: Tag;
  url: (p: string) => string;
  onChanged: () => void;
}

/** The tag's colour and name; for those who manage tags, renamed (and recoloured) in place. */
function TagName({ tag, url, canManage, onChanged }: TagCellProps & { canManage: boolean }) {
  const { t } = useTranslation(PLUGIN);
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color);
  const { errors, busy, change } = useTagChange(tag, url, onChanged);
  if (!editing) {
    return (
      <Flex gap={8} align="center" justify="space-between" wrap>
        <span>
          <Swatch color={tag.color} /> {tag.name}
        </span>
        {canManage && (
          <Button size="small" onClick={() => setEditing(true)}>
            {t("rename")}
          </Button>
        )}
      </Flex>
    );
  }
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await change({ name, color })) setEditing(false);
      }}
    >
      <TagFields name={name} color={color} onName={setName} onColor={setColor} errors={errors} autoFocus />
      <Button size="small" type="primary" htmlType="submit" loading={busy}>
        {t("save")}
      </Button>
      <Button size="small" onClick={() => (setEditing(false), setName(tag.name), setColor(tag.color))}>
        {t("cancel")}
      </Button>
      <FormProblems errors={errors} shown={["name", "color"]} />
    </form>
  );
}

function TagFolder({ tag, folders, url, canManage, onChanged }: TagCellProps & { folders: Folder[]; canManage: boolean }) {
  const { t } = useTranslation(PLUGIN);
  const { errors, busy, change } = useTagChange(tag, url, onChanged);
  return (
    <>
      <FolderSelect
        label={t("move_to", { name: tag.name })}
        folders={folders}
        value={tag.folder_id}
        disabled={!canManage || busy}
        onChange={(folder_id) => void change({ folder_id })}
      />
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}

function TagPin({ tag, url, canManage, onChanged }: TagCellProps & { canManage: boolean }) {
  const { t } = useTranslation(PLUGIN);
  const { errors, busy, change } = useTagChange(tag, url, onChanged);
  return (
    <>
      <Checkbox
        aria-label={t("pin", { name: tag.name })}
        checked={tag.pinned}
        disabled={!canManage || busy}
        onChange={(e) => void change({ pinned: e.target.checked })}
      />
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}

/** Deleting a tag, after asking; running scenarios that use it make the server refuse (in_use, naming them),
 * and it asks once more before deleting anyway. */
function TagDelete({ tag, url, onChanged }: TagCellProps) {
  const { t, i18n } = useTranslation(PLUGIN);
  const [modal, modalHolder] = Modal.useModal();
  const { errors, busy, submit } = useSubmit();
  const remove = () =>
    api.del(url(`/${tag.id}`)).then(
      () => true,
      async (error: unknown) => {
        if (!(error instanceof ApiError) || error.code !== "in_use") throw error;
        const scenarios = error.errors.map((e) => localized(e.message, i18n.language)).join("\n");
        const insist = await modal.confirm({
          title: t("title"),
          content: <div style={{ whiteSpace: "pre-line" }}>{t("confirm_in_use", { scenarios })}</div>,
          okText: t("delete"),
          cancelText: t("cancel"),
          okButtonProps: { danger: true },
        });
        if (!insist) throw error;
        return api.del(url(`/${tag.id}?force=true`)).then(() => true);
      },
    );
  return (
    <>
      {modalHolder}
      <Popconfirm
        title={t("confirm_delete", { name: tag.name, count: tag.friend_count })}
        okText={t("delete")}
        cancelText={t("cancel")}
        okButtonProps={{ danger: true }}
        onConfirm={async () => {
          if ((await submit(remove)) === true) onChanged();
        }}
      >
        <Button size="small" danger loading={busy}>
          {t("delete")}
        </Button>
      </Popconfirm>
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}
