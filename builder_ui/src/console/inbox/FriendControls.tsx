// A friend's response mark or assignee as a select that changes it at once (the inbox beside a thread, the
// friend page); disabled without the plugin's assign permission.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../../api";
import { useOptions } from "../../forms/pickers";
import type { WorkspaceAccess } from "../../types";

/** An API error with its field paths, or any other error's text. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? [e.message, ...e.errors.map((x) => `${x.path ?? ""} ${x.message}`)].join(" — ") : String(e);
}

function FriendSelect(props: {
  access: WorkspaceAccess;
  friendId: number;
  label: string;
  url: string;
  read: (r: Record<string, unknown>) => number | null;
  key_: string;
  lookup: string;
  permission: string;
  noneLabel: string;
  onChanged?: () => void;
}) {
  const { t } = useTranslation();
  const { options } = useOptions(props.lookup);
  const [value, setValue] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { url, read } = props;
  const load = useCallback(
    () =>
      api
        .get<Record<string, unknown>>(url)
        .then((r) => setValue(read(r)))
        .catch((e) => setError(errorText(e))),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [url],
  );
  useEffect(() => {
    setValue(undefined);
    setSaved(false);
    void load();
  }, [load]);
  const id = `inbox-${props.key_}-${props.friendId}`;
  const change = async (raw: string) => {
    setSaved(false);
    try {
      if (raw) await api.put(url, { [props.key_]: Number(raw) });
      else await api.del(url);
      setError(null);
      setSaved(true);
      await load();
      props.onChanged?.();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="field">
      <label htmlFor={id}>{props.label}</label>
      {value === undefined && !error ? (
        <span className="muted">{t("common.loading")}</span>
      ) : (
        <select
          id={id}
          value={value ? String(value) : ""}
          disabled={!props.access.permissions.includes(props.permission)}
          onChange={(e) => void change(e.target.value)}
        >
          <option value="">{props.noneLabel}</option>
          {(options ?? []).map((o) => (
            <option key={String(o.value)} value={String(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      )}
      {saved && (
        <span className="ok small" role="status">
          {t("inbox.changed")}
        </span>
      )}
      {error && (
        <span className="error small" role="alert">
          {error}
        </span>
      )}
    </section>
  );
}

export function MarkControl({ access, friendId, onChanged }: { access: WorkspaceAccess; friendId: number; onChanged?: () => void }) {
  const { t } = useTranslation();
  return (
    <FriendSelect
      access={access}
      friendId={friendId}
      label={t("inbox.mark")}
      url={workspaceUrl(access.workspace.id, `/response_marks/friends/${friendId}`)}
      read={(r) => ((r.mark as { id: number } | null)?.id ?? null)}
      key_="mark_id"
      lookup="response_marks.marks"
      permission="response_marks.assign"
      noneLabel={t("inbox.none")}
      onChanged={onChanged}
    />
  );
}

export function AssigneeControl({ access, friendId, onChanged }: { access: WorkspaceAccess; friendId: number; onChanged?: () => void }) {
  const { t } = useTranslation();
  return (
    <FriendSelect
      access={access}
      friendId={friendId}
      label={t("inbox.assignee")}
      url={workspaceUrl(access.workspace.id, `/assignment/friends/${friendId}`)}
      read={(r) => ((r.assignee as { user_id: number } | null)?.user_id ?? null)}
      key_="user_id"
      lookup="assignment.staff"
      permission="assignment.assign"
      noneLabel={t("inbox.unassigned")}
      onChanged={onChanged}
    />
  );
}
