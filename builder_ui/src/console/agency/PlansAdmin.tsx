// Plans (platform admins only): the price tier, the limits (messages a month, staff seats, friends) and the
// plugins a plan allows — by its tier or as a list. Changing a plan turns off, in the workspaces on it, what it
// no longer allows.
import { Button, Checkbox, Input, Radio, Select, Table, type TableColumnsType } from "antd";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../../api";
import { localized } from "../../i18n";
import { Field } from "./Field";
import {
  draftOf,
  fieldErrors,
  LIMITS,
  planBody,
  TIERS,
  type FieldErrors,
  type InstalledPlugin,
  type Plan,
  type PlanDraft,
} from "./forms";
import { useNamedTable } from "../../components/tables";

export function PlansAdmin({
  plans,
  plugins,
  onChanged,
}: {
  plans: Plan[];
  plugins: InstalledPlugin[];
  onChanged: () => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  // null: no form; "new": a new plan; a number: the plan being edited.
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const limit = (v: number | null) => (v === null ? t("agency.unlimited") : v.toLocaleString(lang === "en" ? "en-US" : "ja-JP"));
  const title = (name: string) => localized(plugins.find((p) => p.name === name)?.title, lang) || name;
  const current = typeof editing === "number" ? plans.find((p) => p.id === editing) ?? null : null;
  const nameOf = (p: Plan) => (lang === "en" ? p.name_en : p.name_ja);
  // The table's accessible name; one component for as long as the name holds (a new one would redraw the table).
  const label = t("agency.plans");
  const components = useNamedTable(label);
  const columns: TableColumnsType<Plan> = [
    { key: "name", title: t("agency.plan"), rowScope: "row", render: (_, p) => nameOf(p) },
    { key: "key", title: t("agency.field.key"), render: (_, p) => <code>{p.key}</code> },
    { key: "tier", title: t("agency.field.tier"), render: (_, p) => t(`agency.tier.${p.tier}`, { defaultValue: p.tier }) },
    ...LIMITS.map((name) => ({
      key: name,
      title: t(`agency.field.${name}`),
      render: (_: unknown, p: Plan) => limit(p[name]),
    })),
    {
      key: "plugins",
      title: t("agency.field.allowed_plugins"),
      render: (_, p) =>
        p.allowed_plugins === null ? t("agency.by_tier") : p.allowed_plugins.map(title).join("、") || t("agency.no_plugins"),
    },
    {
      key: "edit",
      title: <span className="visually-hidden">{t("common.edit")}</span>,
      render: (_, p) => (
        <Button aria-label={t("agency.edit_plan", { name: nameOf(p) })} onClick={() => (setEditing(p.id), setSaved(null))}>
          {t("common.edit")}
        </Button>
      ),
    },
  ];

  return (
    <section className="plans" aria-label={t("agency.plans")}>
      {saved && (
        <p role="status" className="status-line">
          {t("agency.plan_saved", { name: saved })}
        </p>
      )}
      <Table<Plan>
        className="plans-table"
        rowKey="id"
        columns={columns}
        dataSource={plans}
        pagination={false}
        size="middle"
        components={components}
      />
      {editing === null && (
        <Button className="add-plan" onClick={() => (setEditing("new"), setSaved(null))}>
          {t("agency.new_plan")}
        </Button>
      )}
      {editing !== null && (
        <PlanForm
          key={String(editing)}
          plan={current}
          plugins={plugins}
          onCancel={() => setEditing(null)}
          onSaved={async (plan) => {
            setEditing(null);
            setSaved(nameOf(plan));
            await onChanged();
          }}
        />
      )}
    </section>
  );
}

function PlanForm({
  plan,
  plugins,
  onCancel,
  onSaved,
}: {
  plan: Plan | null;
  plugins: InstalledPlugin[];
  onCancel: () => void;
  onSaved: (plan: Plan) => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [draft, setDraft] = useState<PlanDraft>(() => draftOf(plan));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const creating = plan === null;
  const set = <K extends keyof PlanDraft>(key: K, value: PlanDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    // A field's message goes once it is edited (the plugin choice answers for "allowed_plugins").
    const path = key === "byTier" ? "$.allowed_plugins" : `$.${key}`;
    setErrors((e) => (path in e ? Object.fromEntries(Object.entries(e).filter(([k]) => k !== path)) : e));
  };
  const heading = creating ? t("agency.new_plan") : t("agency.edit_plan", { name: plan.name_ja });
  const installed = plugins.filter((p) => p.status === "loaded" || draft.allowed_plugins.includes(p.name));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: mine } = planBody(draft, creating);
    setErrors(mine);
    if (Object.keys(mine).length) return;
    setSaving(true);
    try {
      const saved = creating
        ? await api.post<Plan>("/api/plans", body)
        : await api.patch<Plan>(`/api/plans/${plan.id}`, body);
      await onSaved(saved);
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) setErrors(fieldErrors(error.errors));
      else setErrors({ $: [error instanceof Error ? error.message : String(error)] });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="plan-form card" aria-label={heading} onSubmit={submit} noValidate>
      <h3>{heading}</h3>
      {creating && (
        <Field id="plan-key" label={t("agency.field.key")} errors={errors["$.key"]} hint={t("agency.hint.key")}>
          <Input id="plan-key" value={draft.key} onChange={(e) => set("key", e.target.value)} />
        </Field>
      )}
      <Field id="plan-name-ja" label={t("agency.field.name_ja")} errors={errors["$.name_ja"]}>
        <Input id="plan-name-ja" value={draft.name_ja} onChange={(e) => set("name_ja", e.target.value)} />
      </Field>
      <Field id="plan-name-en" label={t("agency.field.name_en")} errors={errors["$.name_en"]}>
        <Input id="plan-name-en" value={draft.name_en} onChange={(e) => set("name_en", e.target.value)} />
      </Field>
      <Field id="plan-tier" label={t("agency.field.tier")} errors={errors["$.tier"]}>
        <Select
          id="plan-tier"
          value={draft.tier}
          onChange={(tier: string) => set("tier", tier)}
          options={TIERS.map((tier) => ({ value: tier, label: t(`agency.tier.${tier}`) }))}
        />
      </Field>
      {LIMITS.map((name) => (
        <Field
          key={name}
          id={`plan-${name}`}
          label={t(`agency.field.${name}`)}
          errors={errors[`$.${name}`]}
          hint={t("agency.hint.unlimited")}
        >
          {/* Text, not a number box: what was typed stays to be corrected, with the form's message under it. */}
          <Input id={`plan-${name}`} inputMode="numeric" value={draft[name]} onChange={(e) => set(name, e.target.value)} />
        </Field>
      ))}
      <fieldset className={errors["$.allowed_plugins"] ? "field invalid" : "field"}>
        <legend>{t("agency.field.allowed_plugins")}</legend>
        <Radio.Group
          className="plugin-choice"
          name="plan-plugins"
          value={draft.byTier ? "tier" : "list"}
          onChange={(e) => set("byTier", e.target.value === "tier")}
        >
          <Radio value="tier">{t("agency.by_tier_long")}</Radio>
          <Radio value="list">{t("agency.chosen_plugins")}</Radio>
        </Radio.Group>
        {!draft.byTier && (
          <ul className="checks" aria-label={t("agency.chosen_plugins")}>
            {installed.map((p) => (
              <li key={p.name}>
                <Checkbox
                  checked={draft.allowed_plugins.includes(p.name)}
                  onChange={(e) =>
                    set(
                      "allowed_plugins",
                      e.target.checked
                        ? [...draft.allowed_plugins, p.name]
                        : draft.allowed_plugins.filter((n) => n !== p.name),
                    )
                  }
                >
                  {localized(p.title, lang) || p.name}
                  {p.tier && <span className="muted small"> ({t(`agency.tier.${p.tier}`, { defaultValue: p.tier })})</span>}
                </Checkbox>
              </li>
            ))}
          </ul>
        )}
        {errors["$.allowed_plugins"]?.map((m) => (
          <p key={m} className="error small">
            {localized(m, lang)}
          </p>
        ))}
      </fieldset>
      {errors.$ && (
        <p role="alert" className="error">
          {errors.$.map((m) => localized(m, lang)).join(" ")}
        </p>
      )}
      <div className="actions">
        <Button type="primary" htmlType="submit" loading={saving}>
          {t("agency.save")}
        </Button>
        <Button onClick={onCancel}>{t("agency.cancel")}</Button>
      </div>
    </form>
  );
}
