// The console's page for a resource a plugin describes in the catalog: its rows in a table (columns by format),
// and a form drawn from the resource's JSON Schema to add or change one (the node forms' RJSF setup, with the
// workspace's pickers), the server's objections shown at the field they concern. Writing needs the resource's
// permission; without it the page only lists.
import type { FieldErrorProps, RJSFValidationError } from "@rjsf/utils";
import { Alert, Button, Empty, Table, type TableColumnsType } from "antd";
import { useCallback, useContext, useEffect, useMemo, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { formErrors, NO_ERRORS, type FormErrors } from "../../console/settings/errors";
import { Swatch } from "../../console/settings/ui";
import { useNamedTable } from "../../components/tables";
import { EditorContext, useEditor, type EditorShared } from "../../editor/context";
import { DEFAULT_FORM_STATE } from "../../editor/defaults";
import { timeUi } from "../../components/TimeFields";
import { useFormSchema, useFormSetup, withKnownWidgets } from "../../forms/ConfigForm";
import { forgetLookups, LookupContext, useOptions } from "../../forms/pickers";
import { decorateUiSchema } from "../../forms/schema";
import { SchemaForm } from "../../forms/theme";
import { localized } from "../../i18n";
import { useCatalog } from "../catalog";
import type { CatalogColumn, CatalogResource, WorkspaceProps } from "../contract";
import {
  changeBody,
  choiceTitles,
  createUrl,
  errorSchemaOf,
  formatDateTime,
  formatNumber,
  formatText,
  formDataOf,
  inPlainJapanese,
  itemUrl,
  looseErrors,
  pageUrl,
  readPage,
} from "./format";

type Row = Record<string, unknown>;

export function ResourcePage({ resource, workspaceId, permissions }: { resource: CatalogResource } & WorkspaceProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const outer = useContext(LookupContext);
  const lookupSource = useMemo(() => ({ workspaceId, lookups: outer?.lookups }), [workspaceId, outer]);
  const canWrite = !resource.permission || permissions.includes(resource.permission);
  // The message editor (a schema's `lineMessages` field) offers the workspace's actions on a button's tap.
  const catalog = useCatalog();
  const editor = useEditor();
  const shared: EditorShared = useMemo(
    () => ({ ...editor, types: new Map((catalog?.node_types ?? []).map((x) => [x.key, x])) }),
    [editor, catalog],
  );
  const [rows, setRows] = useState<Row[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Row | "new" | null>(null);
  const [rowErrors, setRowErrors] = useState<{ row: unknown; errors: FormErrors } | null>(null);
  const title = localized(resource.title, lang);
  const components = useNamedTable(title);
  const url = (path: string) => workspaceUrl(workspaceId, path);

  const load = useCallback(async () => {
    try {
      const page = readPage(resource, await api.get<unknown>(workspaceUrl(workspaceId, resource.path)));
      setRows(page.rows);
      setNext(page.next);
      setLoadError(null);
    } catch (error) {
      setLoadError(formErrors(error, lang).message);
    }
  }, [resource, workspaceId, lang]);
  useEffect(() => {
    void load();
  }, [load]);

  const more = async () => {
    try {
      const page = readPage(resource, await api.get<unknown>(url(pageUrl(resource.path, next))));
      setRows((before) => [...(before ?? []), ...page.rows]);
      setNext(page.next);
    } catch (error) {
      setLoadError(formErrors(error, lang).message);
    }
  };

  const changed = () => {
    forgetLookups(); // pickers elsewhere read this list again
    void load();
  };

  const remove = async (row: Row) => {
    const name = String(row[resource.label_field] ?? "");
    if (!window.confirm(t("settings.resource.confirm_delete", { name }))) return;
    try {
      await api.del(url(itemUrl(resource, row)));
      setRowErrors(null);
      changed();
    } catch (error) {
      setRowErrors({ row: row[resource.id_field], errors: formErrors(error, lang) });
    }
  };

  const columns: TableColumnsType<Row> = resource.columns.map((c, n) => ({
    key: c.field,
    title: localized(c.title, lang),
    // The first column names the row (as the row's label does).
    rowScope: n === 0 ? ("row" as const) : undefined,
    render: (_: unknown, row: Row) => <Cell resource={resource} column={c} value={row[c.field]} />,
  }));
  if (canWrite) {
    columns.push({
      key: "actions",
      title: <span className="visually-hidden">{t("settings.actions")}</span>,
      className: "actions",
      render: (_, row) => {
        const name = String(row[resource.label_field] ?? "");
        const problems = rowErrors && rowErrors.row === row[resource.id_field] ? rowErrors.errors : NO_ERRORS;
        return (
          <>
            <div className="row-actions">
              {resource.update && (
                <Button
                  size="small"
                  aria-label={t("settings.resource.edit_named", { name })}
                  onClick={() => setEditing(row)}
                >
                  {t("settings.edit")}
                </Button>
              )}
              {resource.delete && (
                <Button
                  size="small"
                  danger
                  aria-label={t("settings.resource.delete_named", { name })}
                  onClick={() => void remove(row)}
                >
                  {t("settings.delete")}
                </Button>
              )}
            </div>
            {problems.message && (
              <Alert
                className="form-problems"
                type="error"
                message={problems.message}
                description={rowProblems(problems)}
              />
            )}
          </>
        );
      },
    });
  }

  const form =
    editing === null ? null : (
      <ResourceForm
        key={editing === "new" ? "new" : String(editing[resource.id_field])}
        resource={resource}
        workspaceId={workspaceId}
        row={editing === "new" ? null : editing}
        onDone={(done) => {
          setEditing(null);
          if (done) changed();
        }}
      />
    );

  return (
    <EditorContext.Provider value={shared}>
      <LookupContext.Provider value={lookupSource}>
        <section className="settings-page resource-page" aria-labelledby={`resource-${resource.name}`} data-resource={resource.name}>
          <div className="page-head">
            <h2 id={`resource-${resource.name}`}>{title}</h2>
            {canWrite && resource.create && editing === null && (
              <Button type="primary" onClick={() => setEditing("new")}>
                {t("settings.resource.add")}
              </Button>
            )}
          </div>
          {resource.description && <p className="muted">{localized(resource.description, lang)}</p>}
          {form}
          {loadError && <Alert className="form-problems" type="error" message={loadError} />}
          {rows === null ? (
            !loadError && <p className="loading">{t("common.loading")}</p>
          ) : rows.length === 0 ? (
            <Empty className="empty" image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("settings.resource.none")} />
          ) : (
            <Table<Row>
              className="settings-table"
              rowKey={(row) => String(row[resource.id_field])}
              columns={columns}
              dataSource={rows}
              pagination={false}
              size="small"
              components={components}
              onRow={(row) => ({ "data-row": String(row[resource.label_field] ?? "") }) as HTMLAttributes<HTMLElement>}
            />
          )}
          {next && (
            <Button className="more" onClick={() => void more()}>
              {t("settings.resource.more")}
            </Button>
          )}
        </section>
      </LookupContext.Provider>
    </EditorContext.Provider>
  );
}

/** A row's messages besides the error's own (a field the list does not show), one a line. */
function rowProblems(problems: FormErrors) {
  const rest = looseErrors(problems.fields, []).filter((m) => m !== problems.message);
  if (!rest.length) return undefined;
  return rest.map((m, n) => <p key={n}>{m}</p>);
}

/** One cell, by its column's format. */
function Cell({ resource, column, value }: { resource: CatalogResource; column: CatalogColumn; value: unknown }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const titles = useMemo(() => choiceTitles(resource, column.field, lang), [resource, column.field, lang]);
  switch (column.format) {
    case "color":
      return typeof value === "string" && value ? (
        <span title={value}>
          <Swatch color={value} />
        </span>
      ) : null;
    case "number":
      return <>{formatNumber(value, lang)}</>;
    case "datetime":
      return <>{formatDateTime(value, lang)}</>;
    case "boolean":
      return value === null || value === undefined ? null : <>{value ? t("settings.resource.yes") : t("settings.resource.no")}</>;
    case "lookup":
      return <LookupCell lookup={column.lookup} value={value} />;
    default:
      return <>{formatText(value, titles, lang)}</>;
  }
}

/** A value (or several) shown by the label its lookup gives it. */
function LookupCell({ lookup, value }: { lookup: string | null; value: unknown }) {
  const { t, i18n } = useTranslation();
  const { options, failed } = useOptions(lookup);
  if (value === null || value === undefined) return null;
  const values = Array.isArray(value) ? value : [value];
  if (!options) return failed ? <span className="muted">{t("settings.resource.unknown")}</span> : null;
  const labels = values.map((v) => options.find((o) => o.value === v)?.label ?? t("settings.resource.unknown"));
  return <>{labels.join(i18n.language === "en" ? ", " : "、")}</>;
}

const ID_PREFIX = "resource";

/** The server's messages (and the form's own) under the field they concern (in its form item's help), keyed as
 * the server names it. */
function FieldErrors({ errors, idSchema }: FieldErrorProps) {
  const messages = (errors ?? []).filter(Boolean);
  if (!messages.length) return null;
  const key = idSchema.$id.slice(ID_PREFIX.length + 1);
  return (
    <div className="field-errors" data-field={key}>
      {messages.map((m, n) => (
        <p key={n} className="field-error" role="alert">
          {m}
        </p>
      ))}
    </div>
  );
}

function ResourceForm({
  resource,
  workspaceId,
  row,
  onDone,
}: {
  resource: CatalogResource;
  workspaceId: number;
  row: Row | null;
  onDone: (changed: boolean) => void;
}) {
  const { t } = useTranslation();
  const { lang, lookups, widgets, fields, validator, translateString } = useFormSetup();
  const schema = useFormSchema(resource.schema, lang);
  // A widget name no widget answers (its plugin's module left out) falls back to RJSF's plain one.
  const uiSchema = useMemo(
    () => withKnownWidgets(decorateUiSchema(schema, timeUi(schema, resource.ui_schema), lookups), widgets),
    [schema, resource, lookups, widgets],
  );
  const before = useMemo(() => (row ? formDataOf(resource, row) : {}), [resource, row]);
  const [data, setData] = useState<Row>(before);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const name = row ? String(row[resource.label_field] ?? "") : "";
  const label = row ? t("settings.resource.edit_title", { name }) : t("settings.resource.add_title", { title: localized(resource.title, lang) });
  const shown = Object.keys((schema.properties as object | undefined) ?? {});
  const extraErrors = useMemo(() => errorSchemaOf(errors.fields), [errors]);
  const loose = looseErrors(errors.fields, shown).filter((m) => m !== errors.message);

  // The form's own checks, in words a person reads (ajv names a missing property by its key).
  const transformErrors = useCallback(
    (found: RJSFValidationError[]) =>
      found.map((e) => (e.name === "required" ? { ...e, message: t("settings.resource.required") } : e)),
    [t],
  );

  const save = async (formData: Row) => {
    setBusy(true);
    try {
      const base = (path: string) => workspaceUrl(workspaceId, path);
      if (row) {
        const method = resource.update ?? "patch";
        const body = changeBody(method, before, formData);
        if (method === "put") await api.put(base(itemUrl(resource, row)), body);
        else await api.patch(base(itemUrl(resource, row)), body);
      } else {
        await api.post(base(createUrl(resource)), formData);
      }
      setErrors(NO_ERRORS);
      onDone(true);
    } catch (error) {
      setErrors(inPlainJapanese(formErrors(error, lang), lang, shown));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel resource-form" role="form" aria-label={label}>
      <SchemaForm
        idPrefix={ID_PREFIX}
        idSeparator="."
        schema={schema}
        uiSchema={uiSchema}
        formData={data}
        validator={validator}
        widgets={widgets}
        fields={fields}
        templates={{ FieldErrorTemplate: FieldErrors }}
        translateString={translateString}
        extraErrors={extraErrors}
        transformErrors={transformErrors}
        experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
        showErrorList={false}
        noHtml5Validate
        onChange={(e) => setData((e.formData ?? {}) as Row)}
        onSubmit={(e) => void save((e.formData ?? {}) as Row)}
      >
        {errors.message && (
          <Alert
            className="form-problems"
            type="error"
            message={errors.message}
            description={loose.length ? loose.map((m, n) => <p key={n}>{m}</p>) : undefined}
          />
        )}
        <div className="row form-actions">
          <Button type="primary" htmlType="submit" loading={busy}>
            {row ? t("settings.save") : t("settings.resource.create")}
          </Button>
          <Button onClick={() => onDone(false)}>{t("settings.cancel")}</Button>
        </div>
      </SchemaForm>
    </div>
  );
}
