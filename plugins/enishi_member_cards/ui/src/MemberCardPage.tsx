// Member card design (会員証): name, colours, logo, the member-number scheme and the ranks with the points
// from which they apply; a preview shows the card as friends see it. A settings page of the plugin's module.
import { api, Field, FieldErrors, FormProblems, useSubmit, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { useEffect, useState } from "react";
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
  return (
    <section className="settings-page" aria-labelledby="card-title">
      <h2 id="card-title">{t("title")}</h2>
      <div className="two-pane">
        <form
          className="stack grow"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <fieldset disabled={!canManage} className="stack">
            <Field label={t("name")} name="name" errors={errors}>
              <input value={design.name} onChange={(e) => set("name", e.target.value)} />
            </Field>
            <div className="row">
              <Field label={t("background")} name="background_color" errors={errors}>
                <input type="color" value={design.background_color} onChange={(e) => set("background_color", e.target.value)} />
              </Field>
              <Field label={t("text_color")} name="text_color" errors={errors}>
                <input type="color" value={design.text_color} onChange={(e) => set("text_color", e.target.value)} />
              </Field>
            </div>
            <Field label={t("logo")} name="logo_url" errors={errors} hint={t("logo_hint")}>
              <input type="url" value={design.logo_url ?? ""} onChange={(e) => set("logo_url", e.target.value)} />
            </Field>
            <div className="row">
              <Field label={t("prefix")} name="number_prefix" errors={errors} hint={t("prefix_hint")}>
                <input value={design.number_prefix} onChange={(e) => set("number_prefix", e.target.value)} />
              </Field>
              <Field label={t("digits")} name="number_digits" errors={errors}>
                <input
                  type="number"
                  value={design.number_digits}
                  onChange={(e) => set("number_digits", Number(e.target.value))}
                />
              </Field>
              <span className="muted small">
                {t("next_number", {
                  number: sampleNumber(design.number_prefix, design.number_digits, design.next_number),
                })}
              </span>
            </div>
            <div className="row">
              <Field label={t("stamp_goal")} name="stamp_goal" errors={errors}>
                <input type="number" value={design.stamp_goal} onChange={(e) => set("stamp_goal", Number(e.target.value))} />
              </Field>
              <label className="field checkbox">
                <input type="checkbox" checked={design.issue_on_follow} onChange={(e) => set("issue_on_follow", e.target.checked)} />
                {t("issue_on_follow")}
              </label>
              <label className="field checkbox">
                <input type="checkbox" checked={design.allow_negative} onChange={(e) => set("allow_negative", e.target.checked)} />
                {t("allow_negative")}
              </label>
            </div>
            <fieldset className="field" data-field="ranks">
              <legend className="field-label">{t("ranks")}</legend>
              <p className="muted small">{t("ranks_hint")}</p>
              {design.ranks.map((rank, n) => (
                <div key={n} className="row" role="group" aria-label={t("rank_n", { n: n + 1 })}>
                  <Field label={t("rank_name")} name={`ranks.${n}.name`} errors={errors}>
                    <input value={rank.name} onChange={(e) => setRank(n, { name: e.target.value })} />
                  </Field>
                  <Field label={t("threshold")} name={`ranks.${n}.threshold`} errors={errors}>
                    <input
                      type="number"
                      value={rank.threshold}
                      onChange={(e) => setRank(n, { threshold: Number(e.target.value) })}
                    />
                  </Field>
                  <button
                    type="button"
                    className="small danger"
                    onClick={() => set("ranks", design.ranks.filter((_, i) => i !== n))}
                  >
                    {t("delete")}
                  </button>
                </div>
              ))}
              <FieldErrors errors={errors} name="ranks" exact />
              <button
                type="button"
                className="small"
                onClick={() => set("ranks", [...design.ranks, { name: "", threshold: 0 }])}
              >
                {t("add_rank")}
              </button>
            </fieldset>
            <FormProblems
              errors={errors}
              shown={["name", "background_color", "text_color", "logo_url", "number_prefix", "number_digits", "stamp_goal", "ranks"]}
            />
            <div className="row">
              <button type="submit" className="primary" disabled={busy}>
                {t("save")}
              </button>
              {saved && <span className="ok">{t("saved")}</span>}
            </div>
          </fieldset>
        </form>
        <div
          className="card-preview"
          aria-label={t("preview")}
          role="img"
          style={{ background: design.background_color, color: design.text_color }}
        >
          {design.logo_url && <img src={design.logo_url} alt="" />}
          <strong>{design.name}</strong>
          <span className="mono">{sampleNumber(design.number_prefix, design.number_digits, design.next_number)}</span>
          {design.ranks.length > 0 && <span className="small">{design.ranks[0].name}</span>}
        </div>
      </div>
    </section>
  );
}
