// A friend's one choice out of a workspace's list (a response mark, an assignee …) as a friend panel: an antd
// Select of the lookup's options that changes it at once (none takes it off), read and written through the plugin's
// route for that friend (GET answers it, PUT sets it, DELETE takes it off). Plugins' panels share it.
import { useQuery } from "@tanstack/react-query";
import { Alert, Select, Typography } from "antd";
import { useState } from "react";
import { api, errorText } from "../api";
import { useOptions } from "../forms/pickers";
import { keyOfUrl, queryClient } from "../query";

export interface FriendChoicePanelProps {
  /** The friend's choice: GET answers it, PUT sets it, DELETE takes it off. */
  url: string;
  /** The lookup whose options are offered. */
  lookup: string;
  /** The chosen option's value in GET's answer, or null for none. */
  read: (answer: Record<string, unknown>) => number | null;
  /** PUT's body for an option's value. */
  body: (value: number) => Record<string, unknown>;
  /** The panel's and the select's label, the option for none, the note once changed, and while it loads. */
  texts: { title: string; none: string; changed: string; loading: string };
  /** Without the permission to change it. */
  disabled: boolean;
  /** The select's element id (unique on the page). */
  inputId: string;
  /** After a change: the page around it reads what it shows again. */
  onChanged?: () => void;
}

export function FriendChoicePanel({ url, lookup, read, body, texts, disabled, inputId, onChanged }: FriendChoicePanelProps) {
  const { options } = useOptions(lookup);
  const key = keyOfUrl(url);
  const current = useQuery(
    { queryKey: key, queryFn: async ({ signal }) => read(await api.get<Record<string, unknown>>(url, signal)), staleTime: 0 },
    queryClient,
  );
  const [saved, setSaved] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const change = async (raw: string) => {
    setSaved(false);
    try {
      if (raw) await api.put(url, body(Number(raw)));
      else await api.del(url);
      setFailed(null);
      setSaved(true);
      onChanged?.();
      await queryClient.invalidateQueries({ queryKey: key });
    } catch (e) {
      setFailed(errorText(e));
    }
  };
  const error = failed ?? (current.error ? errorText(current.error) : null);
  return (
    <section className="friend-block" aria-label={texts.title}>
      <section className="field">
        <label htmlFor={inputId}>{texts.title}</label>
        {current.data === undefined && !error ? (
          <Typography.Text type="secondary">{texts.loading}</Typography.Text>
        ) : (
          <Select
            id={inputId}
            value={current.data ? String(current.data) : ""}
            disabled={disabled}
            onChange={(value: string) => void change(value)}
            options={[
              { value: "", label: texts.none },
              ...(options ?? []).map((o) => ({ value: String(o.value), label: o.label })),
            ]}
            popupMatchSelectWidth={false}
            style={{ minWidth: 160 }}
          />
        )}
        {saved && (
          <Typography.Text type="success" className="small" role="status">
            {texts.changed}
          </Typography.Text>
        )}
        {error && <Alert type="error" showIcon={false} message={error} />}
      </section>
    </section>
  );
}
