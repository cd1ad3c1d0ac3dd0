// Member card design (会員証): name, colours, logo, the member-number scheme and the ranks with the points
// from which they apply; a preview shows the card as friends see it. A settings page of the plugin's module.
import { api, ColorInput, Field, FieldErrors, FormProblems, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { Button, Checkbox, ConfigProvider, Flex, Input, InputNumber, Typography } from "antd";
import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN, sampleNumber } from "./names";

interface Rank {
  name: string;
  threshold: number;
}

interface Design {
  name: string;
  background_color: string;
  text_color: string;
  logo_url: string | null;
  number_prefix: string;
  number_digits: number;
  next_number: number;
  issue_on_follow: boolean;
  allow_negative: boolean;
  stamp_goal: number;
  ranks: Rank[];
}

export function MemberCardPage({ workspaceId, permissions }: WorkspaceProps) {
  const { t } = useTranslation(PLUGIN);
  const url = workspaceUrl(workspaceId, "/member_cards/design");
  const canManage = permissions.includes("member_cards.manage");
  const [design, setDesign] = useState<Design | null>(null);
  const [saved, setSaved] = useState(false);
  const { errors, busy, submit } = useSubmit();
  const id = useId();
  useEffect(() => {
    void api.get<Design>(url).then(setDesign);
  }, [url]);
  if (!design) return <p className="loading">{t("loading")}</p>;
  const set = <K extends keyof Design>(key: K, value: Design[K]) => {
    setSaved(false);
    setDesign({ ...design, [key]: value });
  };
  const setRank = (n: number, rank: Partial<Rank>) =>
    set(
      "ranks",
      design.ranks.map((r, i) => (i === n ? { ...r, ...rank } : r)),
    );
  const save = async () => {
    const body = {
      name: design.name,
      background_color: design.background_color,
      text_color: design.text_color,
      logo_url: design.logo_url || null,
      number_prefix: design.number_prefix,
      number_digits: design.number_digits,
      issue_on_follow: design.issue_on_follow,
      allow_negative: design.allow_negative,
      stamp_goal: design.stamp_goal,
      ranks: design.ranks,
    };
    const result = await submit(() => api.put<Design>(url, body));
    if (result) {
      setDesign(result);
      setSaved(true);
    }
  };
  const field = (key: string) => `${id}-${key}`;
  return (
    <section className="settings-page" aria-labelledby="card-title">
      <h2 id="card-title">{t("title")}</h2>
      <Flex gap={16} align="start" wrap>
        <form
          className="stack grow"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {/* Without member_cards.manage: the fieldset keeps the inputs read-only, antd draws them so. */}
          <ConfigProvider componentDisabled={!canManage}>
            <fieldset disabled={!canManage} className="stack">
              <Field label={t("name")} name="name" errors={errors} id={field("name")}>
                <Input id={field("name")} value={design.name} onChange={(e) => set("name", e.target.value)} />
              </Field>
              <Flex gap={12} wrap>
                <Field label={t("background")} name="background_color" errors={errors} id={field("background")}>
                  <ColorInput id={field("background")} value={design.background_color} onChange={(c) => set("background_color", c)} />
                </Field>
                <Field label={t("text_color")} name="text_color" errors={errors} id={field("text")}>
                  <ColorInput id={field("text")} value={design.text_color} onChange={(c) => set("text_color", c)} />
                </Field>
              </Flex>
              <Field label={t("logo")} name="logo_url" errors={errors} hint={t("logo_hint")} id={field("logo")}>
                <Input id={field("logo")} type="url" value={design.logo_url ?? ""} onChange={(e) => set("logo_url", e.target.value)} />
              </Field>
              <Flex gap={12} align="end" wrap>
                <Field label={t("prefix")} name="number_prefix" errors={errors} hint={t("prefix_hint")} id={field("prefix")}>
                  <Input id={field("prefix")} value={design.number_prefix} onChange={(e) => set("number_prefix", e.target.value)} />
                </Field>
                <Field label={t("digits")} name="number_digits" errors={errors} id={field("digits")}>
                  <InputNumber
                    id={field("digits")}
                    value={design.number_digits}
                    onChange={(v) => set("number_digits", Number(v ?? 0))}
                  />
                </Field>
                <Typography.Text type="secondary" className="small">
                  {t("next_number", {
                    number: sampleNumber(design.number_prefix, design.number_digits, design.next_number),
                  })}
                </Typography.Text>
              </Flex>
              <Flex gap={12} align="end" wrap>
                <Field label={t("stamp_goal")} name="stamp_goal" errors={errors} id={field("stamps")}>
                  <InputNumber id={field("stamps")} value={design.stamp_goal} onChange={(v) => set("stamp_goal", Number(v ?? 0))} />
                </Field>
                <Checkbox checked={design.issue_on_follow} onChange={(e) => set("issue_on_follow", e.target.checked)}>
                  {t("issue_on_follow")}
                </Checkbox>
                <Checkbox checked={design.allow_negative} onChange={(e) => set("allow_negative", e.target.checked)}>
                  {t("allow_negative")}
                </Checkbox>
              </Flex>
              <fieldset className="field" data-field="ranks">
                <legend className="field-label">{t("ranks")}</legend>
                <Typography.Text type="secondary" className="small">
                  {t("ranks_hint")}
                </Typography.Text>
                {design.ranks.map((rank, n) => (
                  <Flex key={n} gap={8} align="end" wrap role="group" aria-label={t("rank_n", { n: n + 1 })}>
                    <Field label={t("rank_name")} name={`ranks.${n}.name`} errors={errors} id={field(`rank-${n}-name`)}>
                      <Input id={field(`rank-${n}-name`)} value={rank.name} onChange={(e) => setRank(n, { name: e.target.value })} />
                    </Field>
                    <Field label={t("threshold")} name={`ranks.${n}.threshold`} errors={errors} id={field(`rank-${n}-threshold`)}>
                      <InputNumber
                        id={field(`rank-${n}-threshold`)}
                        value={rank.threshold}
                        onChange={(v) => setRank(n, { threshold: Number(v ?? 0) })}
                      />
                    </Field>
                    <Button size="small" danger onClick={() => set("ranks", design.ranks.filter((_, i) => i !== n))}>
                      {t("delete")}
                    </Button>
                  </Flex>
                ))}
                <FieldErrors errors={errors} name="ranks" exact />
                <div>
                  <Button size="small" onClick={() => set("ranks", [...design.ranks, { name: "", threshold: 0 }])}>
                    {t("add_rank")}
                  </Button>
                </div>
              </fieldset>
              <FormProblems
                errors={errors}
                shown={["name", "background_color", "text_color", "logo_url", "number_prefix", "number_digits", "stamp_goal", "ranks"]}
              />
              <Flex gap={8} align="center">
                <Button type="primary" htmlType="submit" loading={busy}>
                  {t("save")}
                </Button>
                {saved && (
                  <Typography.Text type="success" role="status">
                    {t("saved")}
                  </Typography.Text>
                )}
              </Flex>
            </fieldset>
          </ConfigProvider>
        </form>
        <div
          aria-label={t("preview")}
          role="img"
          style={{
            background: design.background_color,
            color: design.text_color,
            width: 300,
            height: 180,
            borderRadius: 14,
            padding: 16,
            display: "flex",
            flexDirection: "column",
            justifyContent: "space-between",
            boxShadow: "0 2px 10px #0002",
            flex: "none",
          }}
        >
          {design.logo_url && <img src={design.logo_url} alt="" style={{ maxHeight: 36, maxWidth: 120, objectFit: "contain" }} />}
          <strong>{design.name}</strong>
          <span className="mono" style={{ fontSize: 18, letterSpacing: 2 }}>
            {sampleNumber(design.number_prefix, design.number_digits, design.next_number)}
          </span>
          {design.ranks.length > 0 && <span className="small">{design.ranks[0].name}</span>}
        </div>
      </Flex>
    </section>
  );
}
