// A friend's fields on the friend's page: one form generated from the fields' value schemas (the console's
// ConfigForm, so the pickers and checks are the builder's), saving only what changed; file fields as downloads.
import { api, ConfigForm, errorText, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { Alert, Button, Flex, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./fields";
import { changedValues, fieldsFormType, type FieldDef } from "./values";

export function FriendFieldsPanel({ workspaceId: ws, friendId }: FriendPanelProps) {
  const { t, i18n } = useTranslation(PLUGIN);
  const url = workspaceUrl(ws, `/${PLUGIN}/friends/${friendId}`);
  const [fields, setFields] = useState<FieldDef[] | null>(null);
  const [stored, setStored] = useState<Record<string, unknown>>({});
  const [form, setForm] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    Promise.all([
      api.get<FieldDef[]>(workspaceUrl(ws, `/${PLUGIN}/fields`)),
      api.get<{ values: Record<string, unknown> }>(url),
    ])
      .then(([defs, values]) => {
        setFields(defs);
        setStored(values.values);
        setForm(values.values);
      })
      .catch((e) => setError(errorText(e)));
  }, [ws, url]);
  const formType = useMemo(() => (fields ? fieldsFormType(fields, i18n.language) : null), [fields, i18n.language]);
  const changes = changedValues(stored, form);
  const files = (fields ?? []).filter((f) => f.type === "file");
  const save = () =>
    api
      .patch<{ values: Record<string, unknown> }>(url, { values: changes })
      .then((r) => {
        setStored(r.values);
        setForm(r.values);
        setError(null);
        setSaved(true);
      })
      .catch((err) => {
        setError(errorText(err));
        setSaved(false);
      });
  return (
    <section className="friend-block" aria-label={t("panel.title")}>
      <h2>{t("panel.title")}</h2>
      {!fields || !formType ? (
        !error && <Typography.Text type="secondary">{t("loading")}</Typography.Text>
      ) : fields.length === 0 ? (
        <Typography.Text type="secondary">{t("panel.none")}</Typography.Text>
      ) : (
        <div className="fields-form">
          {/* Not a <form>: the generated form renders one of its own. */}
          <ConfigForm
            nodeType={formType}
            config={form}
            idPrefix={`friend-${friendId}-fields`}
            onChange={(next) => {
              setForm(next);
              setSaved(false);
            }}
          />
          {files.map((f) =>
            stored[f.key] ? (
              <p key={f.key}>
                {f.label}:{" "}
                <a href={`${url}/files/${encodeURIComponent(f.key)}`} download>
                  {t("panel.download")}
                </a>
              </p>
            ) : null,
          )}
          <Flex gap={8} align="center">
            <Button type="primary" disabled={Object.keys(changes).length === 0} onClick={save}>
              {t("panel.save")}
            </Button>
            {saved && (
              <Typography.Text type="success" role="status">
                {t("panel.saved")}
              </Typography.Text>
            )}
          </Flex>
        </div>
      )}
      {error && <Alert type="error" showIcon={false} message={error} style={{ marginTop: 6 }} />}
    </section>
  );
}
