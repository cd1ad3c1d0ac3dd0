// A friend's tags on the friend's page: the tags as chips, each taken off with ×, and a tag to add from the
// workspace's tags (the picker tags.tags).
import { api, errorText, useOptions, workspaceUrl, type FriendPanelProps, type Option } from "@enishi/plugin-ui";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

interface FriendTag {
  tag_id: number;
  name: string;
  color: string;
  added_at: string;
  source: string;
}

export function FriendTagsPanel({ workspaceId, friendId }: FriendPanelProps) {
  const { t } = useTranslation(PLUGIN);
  const base = workspaceUrl(workspaceId, `/${PLUGIN}/friends/${friendId}`);
  const [tags, setTags] = useState<FriendTag[] | null>(null);
  const [adding, setAdding] = useState("");
  const [error, setError] = useState<string | null>(null);
  const { options } = useOptions(`${PLUGIN}.tags`);
  const load = useCallback(() => api.get<FriendTag[]>(base).then(setTags).catch((e) => setError(errorText(e))), [base]);
  useEffect(() => {
    void load();
  }, [load]);
  const act = (p: Promise<unknown>) =>
    p
      .then(() => {
        setError(null);
        return load();
      })
      .catch((e) => setError(errorText(e)));
  const have = new Set((tags ?? []).map((x) => x.tag_id));
  const addable = (options ?? []).filter((o) => !have.has(Number(o.value)));
  return (
    <section className="friend-block" aria-label={t("panel.title")}>
      <h2>{t("panel.title")}</h2>
      {tags === null ? (
        <p className="muted">{t("loading")}</p>
      ) : tags.length === 0 ? (
        <p className="muted">{t("panel.none")}</p>
      ) : (
        <ul className="tag-chips">
          {tags.map((tag) => (
            <li key={tag.tag_id} className="tag-chip">
              <span className="swatch" style={{ background: tag.color }} />
              {tag.name}
              <button
                type="button"
                className="small"
                aria-label={t("panel.remove", { name: tag.name })}
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
          {t("panel.to_add")}
          <select value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">{t("panel.choose")}</option>
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
          {t("panel.add")}
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
