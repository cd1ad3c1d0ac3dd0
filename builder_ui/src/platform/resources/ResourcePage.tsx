// The console's page for a resource a plugin describes in the catalog: its rows in a table (columns by format),
// and a form drawn from the resource's JSON Schema to add or change one (the node forms' RJSF setup, with the
// workspace's pickers), the server's objections shown at the field they concern. Writing needs the resource's
// permission; without it the page only lists.
import Form from "@rjsf/core";
import type { FieldErrorProps, RJSFValidationError } from "@rjsf/utils";
import { useCallback, useContext, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { formErrors, NO_ERRORS, type FormErrors } from "../../console/settings/errors";
import { Swatch } from "../../console/settings/ui";
import { EditorContext, useEditor, type EditorShared } from "../../editor/context";
import { DEFAULT_FORM_STATE } from "../../editor/defaults";
import { useFormSchema, useFormSetup, withKnownWidgets } from "../../forms/ConfigForm";
import { forgetLookups, LookupContext, useOptions } from "../../forms/pickers";
import { decorateUiSchema } from "../../forms/schema";
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
              <button type="button" className="primary" onClick={() => setEditing("new")}>
                {t("settings.resource.add")}
              </button>
            )}
          </div>
          {resource.description && <p className="muted">{localized(resource.description, lang)}</p>}
          {form}
          {loadError && (
            <p className="form-problems" role="alert">
              {loadError}
            </p>
          )}
          {rows === null ? (
            !loadError && <p className="loading">{t("common.loading")}</p>
          ) : rows.length === 0 ? (
            <p className="empty">{t("settings.resource.none")}</p>
          ) : (
            <table className="list" aria-label={title}>
              <thead>
                <tr>
                  {resource.columns.map((c) => (
                    <th key={c.field}>{localized(c.title, lang)}</th>
                  ))}
                  {canWrite && <th />}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const id = row[resource.id_field];
                  const name = String(row[resource.label_field] ?? "");
                  const problems = rowErrors && rowErrors.row === id ? rowErrors.errors : NO_ERRORS;
                  return (
                    <tr key={String(id)} data-row={name}>
                      {resource.columns.map((c) => (
                        <td key={c.field}>
                          <Cell resource={resource} column={c} value={row[c.field]} />
                        </td>
                      ))}
                      {canWrite && (
                        <td className="actions">
                          {resource.update && (
                            <button
                              type="button"
                              className="small"
                              aria-label={t("settings.resource.edit_named", { name })}
                              onClick={() => setEditing(row)}
                            >
                              {t("settings.edit")}
                            </button>
                          )}
                          {resource.delete && (
                            <button
                              type="button"
                              className="small danger"
                              aria-label={t("settings.resource.delete_named", { name })}
                              onClick={() => void remove(row)}
                            >
                              {t("settings.delete")}
                            </button>
                          )}
                          {problems.message && (
                            <div className="form-problems" role="alert">
                              <p>{problems.message}</p>
                              {looseErrors(problems.fields, [])
                                .filter((m) => m !== problems.message)
                                .map((m, n) => (
                                  <p key={n}>{m}</p>
                                ))}
                            </div>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {next && (
            <button type="button" onClick={() => void more()}>
              {t("settings.resource.more")}
            </button>
          )}
        </section>
      </LookupContext.Provider>
    </EditorContext.Provider>
  );
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

/** The server's messages (and the form's own) under the field they concern, keyed as the server names it. */
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
    () => withKnownWidgets(decorateUiSchema(schema, resource.ui_schema, lookups), widgets),
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
      <Form
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
          <div className="form-problems" role="alert">
            <p>{errors.message}</p>
            {loose.map((m, n) => (
              <p key={n}>{m}</p>
            ))}
          </div>
        )}
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {row ? t("settings.save") : t("settings.resource.create")}
          </button>
          <button type="button" onClick={() => onDone(false)}>
            {t("settings.cancel")}
          </button>
        </div>
      </Form>
    </div>
  );
}
