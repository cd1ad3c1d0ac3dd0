// A report's parameter form, generated from its JSON Schema (RJSF with ajv8, in the schema forms' Ant Design
// theme), with the registry's pickers, an editor for registered conditions (funnel stages, conversion, buckets)
// and a picker of saved segments.
import type { ErrorSchema, FieldProps, RegistryFieldsType, RegistryWidgetsType, RJSFSchema } from "@rjsf/utils";
import { useQuery } from "@tanstack/react-query";
import { Input, Select, Typography } from "antd";
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { FormItem } from "../../components/FormItem";
import { TimeWidget, timeUi } from "../../components/TimeFields";
import { DEFAULT_FORM_STATE } from "../../editor/defaults";
import { PLAIN_VALIDATORS as validators } from "../../forms/ConfigForm";
import { LookupContext, LookupWidget, useLookups } from "../../forms/pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "../../forms/schema";
import { SchemaForm } from "../../forms/theme";
import { localized } from "../../i18n";
import { queryClient, queryKeys } from "../../query";
import type { NodeTypeDef } from "../../types";
import { reportUiSchema, withBranchDefaults } from "./params";
import type { ErrorTree } from "./results";

// Optional objects (a conversion condition) stay absent until filled in, instead of an empty object the
// schema refuses.
const FORM_STATE = { ...DEFAULT_FORM_STATE, emptyObjectFields: "populateRequiredDefaults" as const };


/** The conditions a segment may use in this workspace (from the catalog), for the condition editor. */
export const ConditionsContext = createContext<NodeTypeDef[]>([]);

type Value = Record<string, unknown>;
const asValue = (v: unknown): Value => (v && typeof v === "object" && !Array.isArray(v) ? (v as Value) : {});
const messages = (e: unknown) => ((e as { __errors?: string[] } | undefined)?.__errors ?? []);

function Errors({ errors }: { errors: string[] }) {
  if (!errors.length) return null;
  return (
    <div className="error-detail">
      {errors.map((m) => (
        <Typography.Paragraph key={m} type="danger" className="small">
          {m}
        </Typography.Paragraph>
      ))}
    </div>
  );
}

/** {label?, type, type_version?, config}: a condition chosen from the catalog, its config from the type's schema. */
export function ConditionField(props: FieldProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const conditions = useContext(ConditionsContext);
  const { formData, onChange, schema, idSchema, errorSchema, disabled, readonly } = props;
  const value = asValue(formData);
  const chosen = conditions.find((c) => c.key === value.type);
  const hasLabel = !!(schema.properties as Value | undefined)?.label;
  const configSchema = useMemo(
    () => (chosen ? (formSchema(localizeSchema(chosen.config_schema, lang)) as RJSFSchema) : null),
    [chosen, lang],
  );
  const lookups = useLookups();
  const configUi = useMemo(
    () =>
      configSchema && chosen ? decorateUiSchema(configSchema, timeUi(configSchema, chosen.ui_schema), lookups ?? []) : {},
    [configSchema, chosen, lookups],
  );
  const id = idSchema.$id;
  const title = props.uiSchema?.["ui:title"] ?? schema.title;
  return (
    <fieldset className="condition-field" id={id}>
      {title && <legend>{String(title)}</legend>}
      {hasLabel && (
        <FormItem id={`${id}_label`} label={t("reports.condition_label")}>
          <Input
            id={`${id}_label`}
            value={String(value.label ?? "")}
            disabled={disabled || readonly}
            onChange={(e) => onChange({ ...value, label: e.target.value || undefined })}
          />
        </FormItem>
      )}
      <FormItem id={`${id}_type`} label={t("reports.condition_type")}>
        <Select<string>
          id={`${id}_type`}
          value={typeof value.type === "string" && value.type ? value.type : undefined}
          placeholder={t("picker.choose")}
          allowClear
          virtual={false}
          disabled={disabled || readonly}
          options={conditions.map((c) => ({ value: c.key, label: localized(c.label, lang) }))}
          onChange={(key) => {
            const next = conditions.find((c) => c.key === key);
            if (!next && !value.label) return onChange(undefined);
            onChange({
              ...(value.label ? { label: value.label } : {}),
              ...(next ? { type: next.key, type_version: next.version } : {}),
              config: {},
            });
          }}
        />
      </FormItem>
      <Errors errors={[...messages(errorSchema?.type), ...messages(errorSchema)]} />
      {configSchema && Object.keys((configSchema.properties as Value | undefined) ?? {}).length > 0 && (
        <SchemaForm
          tagName="div"
          idPrefix={`${id}_config`}
          schema={configSchema}
          uiSchema={configUi}
          formData={asValue(value.config)}
          validator={lang === "en" ? validators.en : validators.ja}
          widgets={widgets}
          extraErrors={errorSchema?.config as ErrorSchema | undefined}
          experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
          showErrorList={false}
          noHtml5Validate
          disabled={disabled || readonly}
          onChange={(e) => onChange({ ...value, config: e.formData ?? {} })}
        />
      )}
    </fieldset>
  );
}

interface SavedTab {
  id: number;
  name: string;
  segment: Value;
}

const NO_TABS: SavedTab[] = [];

/** A segment as one of the saved friend-list tabs (or all friends). */
export function SegmentField(props: FieldProps) {
  const { t } = useTranslation();
  const source = useContext(LookupContext);
  const { formData, onChange, idSchema, schema, errorSchema, disabled, readonly } = props;
  // The friend list's saved tabs (the same cached read as the friend list's).
  const workspaceId = source?.workspaceId ?? 0;
  const { data, isError } = useQuery(
    {
      queryKey: queryKeys.friendTabs(workspaceId),
      queryFn: ({ signal }) => api.get<SavedTab[]>(workspaceUrl(workspaceId, "/friends/tabs"), signal),
      enabled: source !== null,
    },
    queryClient,
  );
  const tabs = isError ? NO_TABS : (data ?? null);
  const current = formData && Object.keys(asValue(formData)).length ? JSON.stringify(formData) : null;
  const match = tabs?.find((tab) => JSON.stringify(tab.segment) === current);
  return (
    <div className="segment-field">
      <FormItem id={idSchema.$id} label={String(schema.title ?? t("reports.segment"))}>
        <Select<string>
          id={idSchema.$id}
          value={current === null ? "" : match ? String(match.id) : "custom"}
          disabled={disabled || readonly || tabs === null}
          virtual={false}
          options={[
            { value: "", label: t("reports.everyone") },
            ...(current !== null && !match ? [{ value: "custom", label: t("reports.custom_segment") }] : []),
            ...(tabs ?? []).map((tab) => ({ value: String(tab.id), label: tab.name })),
          ]}
          onChange={(key) => {
            const tab = tabs?.find((x) => String(x.id) === key);
            onChange(tab ? tab.segment : undefined);
          }}
        />
      </FormItem>
      <Errors errors={messages(errorSchema)} />
    </div>
  );
}

const widgets: RegistryWidgetsType = { lookup: LookupWidget, time: TimeWidget };
const fields: RegistryFieldsType = {
  condition: ConditionField as unknown as RegistryFieldsType[string],
  segment: SegmentField as unknown as RegistryFieldsType[string],
};

export function ParamsForm({
  schema: rawSchema,
  uiSchema: rawUi,
  params,
  onChange,
  onSubmit,
  errors,
  children,
}: {
  schema: Record<string, unknown>;
  uiSchema: Record<string, unknown>;
  params: Value;
  onChange: (params: Value) => void;
  onSubmit: (params: Value) => void;
  errors: ErrorTree;
  children: ReactNode;
}) {
  const { i18n } = useTranslation();
  const lang = i18n.language;
  const schema = useMemo(() => formSchema(localizeSchema(rawSchema, lang)) as RJSFSchema, [rawSchema, lang]);
  const lookups = useLookups();
  const uiSchema = useMemo(() => reportUiSchema(schema, timeUi(schema, rawUi), lookups ?? []), [schema, rawUi, lookups]);
  return (
    <SchemaForm
      className="report-params"
      idPrefix="params"
      schema={schema}
      uiSchema={uiSchema}
      formData={params}
      validator={lang === "en" ? validators.en : validators.ja}
      widgets={widgets}
      fields={fields}
      extraErrors={errors as ErrorSchema}
      experimental_defaultFormStateBehavior={FORM_STATE}
      showErrorList={false}
      noHtml5Validate
      onChange={(e) => onChange(asValue(withBranchDefaults(rawSchema, e.formData)))}
      onSubmit={(e) => onSubmit(asValue(e.formData))}
    >
      {children}
    </SchemaForm>
  );
}
