// A friend's tags on the friend's page: the tags as antd Tags, each taken off with ×, and a tag to add from the
// workspace's tags (the picker tags.tags).
import { api, errorText, Swatch, useOptions, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { Alert, Button, Flex, Select, Tag, Typography } from "antd";
import { useCallback, useEffect, useId, useState } from "react";
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
  const [adding, setAdding] = useState<string | undefined>(undefined);
  const addId = useId();
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
        <Typography.Text type="secondary">{t("loading")}</Typography.Text>
      ) : tags.length === 0 ? (
        <Typography.Text type="secondary">{t("panel.none")}</Typography.Text>
      ) : (
        <Flex component="ul" wrap gap={4} style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {tags.map((tag) => (
            <li key={tag.tag_id}>
              <Tag className="friend-tag" style={{ marginInlineEnd: 0 }}>
                <Swatch color={tag.color} /> <span className="tag-name">{tag.name}</span>
                <Button
                  type="text"
                  size="small"
                  aria-label={t("panel.remove", { name: tag.name })}
                  onClick={() => void act(api.del(`${base}/${tag.tag_id}`))}
                  style={{ height: "auto", padding: "0 2px", marginInlineStart: 2 }}
                >
                  ×
                </Button>
              </Tag>
            </li>
          ))}
        </Flex>
      )}
      <Flex gap={8} align="end" wrap style={{ marginTop: 8 }}>
        <div className="field">
          <label htmlFor={addId}>{t("panel.to_add")}</label>
          <Select
            id={addId}
            value={adding}
            placeholder={t("panel.choose")}
            onChange={(v: string) => setAdding(v)}
            options={addable.map((o) => ({ value: String(o.value), label: o.label }))}
            popupMatchSelectWidth={false}
            style={{ minWidth: 160 }}
          />
        </div>
        <Button
          disabled={!adding}
          onClick={() => {
            void act(api.put(`${base}/${adding}`));
            setAdding(undefined);
          }}
        >
          {t("panel.add")}
        </Button>
      </Flex>
      {error && <Alert type="error" showIcon={false} message={error} style={{ marginTop: 8 }} />}
    </section>
  );
}
