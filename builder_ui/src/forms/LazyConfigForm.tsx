// The node config form, read when one is first drawn: RJSF, its validator and the schema forms' theme (about a
// hundred kB compressed) stay out of the first load of screens that may show a form but do not start with one
// (the friend list's bulk actions and segment builder, and the plugins' kit every plugin module imports).
import { Spin } from "antd";
import { lazy, Suspense, type ComponentProps } from "react";
import { useTranslation } from "react-i18next";
import type { ConfigForm as EagerConfigForm } from "./ConfigForm";

/** The schema forms' module (ConfigForm and the RJSF setup: useFormSetup, useFormSchema, withKnownWidgets,
 * SchemaForm), read once and then kept. */
export const loadSchemaForms = async () => {
  const [forms, theme] = await Promise.all([import("./ConfigForm"), import("./theme")]);
  return { ...forms, SchemaForm: theme.SchemaForm };
};

const Loaded = lazy(async () => ({ default: (await loadSchemaForms()).ConfigForm }));

/** ConfigForm, drawn once its module is read (a small spinner meanwhile). */
export function ConfigForm(props: ComponentProps<typeof EagerConfigForm>) {
  const { t } = useTranslation();
  return (
    <Suspense fallback={<Spin size="small" aria-label={t("common.loading")} />}>
      <Loaded {...props} />
    </Suspense>
  );
}
