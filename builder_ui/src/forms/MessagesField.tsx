// The message editor for `"ui:field": "lineMessages"`: text, picture and button messages (buttons may run
// actions of any plugin when tapped), other LINE message objects as JSON, and a LINE-like preview of what
// the server makes of them (POSTed to the route the field's uiSchema names: `"ui:options": {"preview": …}`).
import type { FieldProps } from "@rjsf/utils";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useContext, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, request, workspaceUrl } from "../api";
import { useEditor } from "../editor/context";
import { localized } from "../i18n";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { LookupContext } from "./pickers";
import { messagesProperty } from "../graph/summary";
import { keyOfUrl, queryClient } from "../query";
import { useSettled } from "../useSettled";
import type { NodeTypeDef } from "../types";
import { problemText } from "../problems";

type Message = Record<string, unknown>;
type Action = Record<string, unknown>;
type EnishiAction = { type: string; type_version: number; config: Record<string, unknown> };

const MAX_MESSAGES = 5;
const MAX_BUTTONS = 4;

export function newMessage(kind: string): Message {
  switch (kind) {
    case "image":
      return { type: "image", originalContentUrl: "", previewImageUrl: "" };
    case "buttons":
      return {
        type: "template",
        altText: "",
        template: { type: "buttons", text: "", actions: [{ type: "postback", label: "", enishi_actions: [] }] },
      };
    default:
      return { type: "text", text: "" };
  }
}

export function messageKind(m: Message): "text" | "image" | "buttons" | "other" {
  if (m.type === "text") return "text";
  if (m.type === "image") return "image";
  if (m.type === "template" && (m.template as Message | undefined)?.type === "buttons") return "buttons";
  return "other";
}

export function MessagesField(props: FieldProps) {
  const { t } = useTranslation();
  const messages: Message[] = Array.isArray(props.formData) ? (props.formData as Message[]) : [];
  const set = (next: Message[]) => props.onChange(next);
  const update = (i: number, m: Message) => set(messages.map((x, j) => (j === i ? m : x)));

  return (
    <fieldset className="messages-editor">
      <legend>{t("message_editor.title")}</legend>
      {messages.map((m, i) => (
        <div className="message-item" key={i} role="group" aria-label={t("message_editor.nth", { n: i + 1 })}>
          <div className="message-item-head">
            <strong>{t("message_editor.nth", { n: i + 1 })}</strong>
            <span className="muted">{t(`message_editor.kind.${messageKind(m)}`)}</span>
            <span className="spacer" />
            <button type="button" className="small" disabled={i === 0} onClick={() => set(swap(messages, i, i - 1))} aria-label={t("message_editor.up")}>
              ↑
            </button>
            <button
              type="button"
              className="small"
              disabled={i === messages.length - 1}
              onClick={() => set(swap(messages, i, i + 1))}
              aria-label={t("message_editor.down")}
            >
              ↓
            </button>
            <button type="button" className="small danger" onClick={() => set(messages.filter((_, j) => j !== i))}>
              {t("common.remove")}
            </button>
          </div>
          <MessageEditor message={m} onChange={(next) => update(i, next)} index={i} />
        </div>
      ))}
      {messages.length < MAX_MESSAGES && (
        <div className="add-message">
          <span>{t("message_editor.add")}:</span>
          {(["text", "image", "buttons"] as const).map((kind) => (
            <button type="button" key={kind} onClick={() => set([...messages, newMessage(kind)])}>
              {t(`message_editor.kind.${kind}`)}
            </button>
          ))}
        </div>
      )}
      <ServerPreview messages={messages} path={previewPath(props.uiSchema)} />
    </fieldset>
  );
}

function swap<T>(list: T[], a: number, b: number): T[] {
  const out = [...list];
  [out[a], out[b]] = [out[b], out[a]];
  return out;
}

function MessageEditor({ message, onChange, index }: { message: Message; onChange: (m: Message) => void; index: number }) {
  const { t } = useTranslation();
  const kind = messageKind(message);
  const id = `msg-${index}`;
  if (kind === "text") {
    return (
      <label className="field">
        {t("message_editor.text")}
        <textarea
          id={`${id}-text`}
          rows={3}
          maxLength={5000}
          value={String(message.text ?? "")}
          onChange={(e) => onChange({ ...message, text: e.target.value })}
        />
      </label>
    );
  }
  if (kind === "image") {
    return (
      <>
        <label className="field">
          {t("message_editor.image_url")}
          <input
            type="url"
            value={String(message.originalContentUrl ?? "")}
            onChange={(e) => onChange({ ...message, originalContentUrl: e.target.value })}
          />
        </label>
        <label className="field">
          {t("message_editor.preview_url")}
          <input
            type="url"
            value={String(message.previewImageUrl ?? "")}
            onChange={(e) => onChange({ ...message, previewImageUrl: e.target.value })}
          />
        </label>
      </>
    );
  }
  if (kind === "buttons") return <ButtonsEditor message={message} onChange={onChange} />;
  return <JsonEditor message={message} onChange={onChange} />;
}

function JsonEditor({ message, onChange }: { message: Message; onChange: (m: Message) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(message, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <label className="field">
      {t("message_editor.json")}
      <textarea
        rows={8}
        className="mono"
        value={text}
        aria-invalid={bad}
        onChange={(e) => {
          setText(e.target.value);
          try {
            onChange(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad && <span className="error small">{t("message_editor.bad_json")}</span>}
    </label>
  );
}

function ButtonsEditor({ message, onChange }: { message: Message; onChange: (m: Message) => void }) {
  const { t } = useTranslation();
  const template = (message.template ?? {}) as Message;
  const actions = (template.actions ?? []) as Action[];
  const setTemplate = (patch: Message) => onChange({ ...message, template: { ...template, ...patch } });
  const setAction = (i: number, a: Action) => setTemplate({ actions: actions.map((x, j) => (j === i ? a : x)) });
  return (
    <div className="buttons-editor">
      <label className="field">
        {t("message_editor.alt_text")}
        <input value={String(message.altText ?? "")} maxLength={400} onChange={(e) => onChange({ ...message, altText: e.target.value })} />
      </label>
      <label className="field">
        {t("message_editor.card_title")}
        <input
          value={String(template.title ?? "")}
          maxLength={40}
          onChange={(e) => {
            const { title: _drop, ...rest } = template;
            void _drop;
            onChange({ ...message, template: e.target.value ? { ...rest, title: e.target.value } : rest });
          }}
        />
      </label>
      <label className="field">
        {t("message_editor.card_text")}
        <textarea rows={2} maxLength={160} value={String(template.text ?? "")} onChange={(e) => setTemplate({ text: e.target.value })} />
      </label>
      {actions.map((a, i) => (
        <ButtonEditor
          key={i}
          index={i}
          action={a}
          onChange={(next) => setAction(i, next)}
          onRemove={() => setTemplate({ actions: actions.filter((_, j) => j !== i) })}
        />
      ))}
      {actions.length < MAX_BUTTONS && (
        <button type="button" onClick={() => setTemplate({ actions: [...actions, { type: "postback", label: "", enishi_actions: [] }] })}>
          {t("message_editor.add_button")}
        </button>
      )}
    </div>
  );
}

function ButtonEditor({
  action,
  onChange,
  onRemove,
  index,
}: {
  action: Action;
  onChange: (a: Action) => void;
  onRemove: () => void;
  index: number;
}) {
  const { t, i18n } = useTranslation();
  const { types } = useEditor();
  const kind = String(action.type ?? "postback");
  const actionTypes = [...types.values()].filter((x) => x.kind === "action" && !x.deprecated);
  const enishiActions = (action.enishi_actions ?? []) as EnishiAction[];
  const setKind = (k: string) => {
    const label = action.label ?? "";
    if (k === "uri") onChange({ type: "uri", label, uri: "https://" });
    else if (k === "message") onChange({ type: "message", label, text: String(label) });
    else onChange({ type: "postback", label, enishi_actions: [] });
  };
  const setEnishi = (list: EnishiAction[]) => {
    const { enishi_actions: _old, ...rest } = action;
    void _old;
    onChange(list.length || !("reply" in action) ? { ...rest, enishi_actions: list } : rest);
  };
  return (
    <div className="button-editor" role="group" aria-label={t("message_editor.button_n", { n: index + 1 })}>
      <div className="row">
        <label className="field grow">
          {t("message_editor.button_label")}
          <input value={String(action.label ?? "")} maxLength={20} onChange={(e) => onChange({ ...action, label: e.target.value })} />
        </label>
        <label className="field">
          {t("message_editor.button_does")}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="postback">{t("message_editor.does.postback")}</option>
            <option value="uri">{t("message_editor.does.uri")}</option>
            <option value="message">{t("message_editor.does.message")}</option>
          </select>
        </label>
        <button type="button" className="small danger" onClick={onRemove}>
          {t("common.remove")}
        </button>
      </div>
      {kind === "uri" && (
        <label className="field">
          URL
          <input type="url" value={String(action.uri ?? "")} onChange={(e) => onChange({ ...action, uri: e.target.value })} />
        </label>
      )}
      {kind === "message" && (
        <label className="field">
          {t("message_editor.button_text")}
          <input value={String(action.text ?? "")} maxLength={300} onChange={(e) => onChange({ ...action, text: e.target.value })} />
        </label>
      )}
      {kind === "postback" && (
        <div className="tap-actions">
          <label className="field">
            {t("message_editor.display_text")}
            <input
              value={String(action.displayText ?? "")}
              maxLength={300}
              onChange={(e) => {
                const { displayText: _d, ...rest } = action;
                void _d;
                onChange(e.target.value ? { ...rest, displayText: e.target.value } : rest);
              }}
            />
          </label>
          <p className="small muted">{t("message_editor.on_tap")}</p>
          {enishiActions.map((ea, j) => {
            const type = types.get(ea.type);
            return (
              <div className="tap-action" key={j} role="group" aria-label={t("message_editor.tap_action_n", { n: j + 1 })}>
                <div className="row">
                  <strong>{type ? localized(type.label, i18n.language) : ea.type}</strong>
                  <span className="spacer" />
                  <button type="button" className="small danger" onClick={() => setEnishi(enishiActions.filter((_, k) => k !== j))}>
                    {t("common.remove")}
                  </button>
                </div>
                {type && (
                  <ConfigForm
                    idPrefix={`tap-${index}-${j}`}
                    nodeType={type}
                    config={ea.config}
                    onChange={(config) => setEnishi(enishiActions.map((x, k) => (k === j ? { ...x, config } : x)))}
                  />
                )}
              </div>
            );
          })}
          {enishiActions.length < 5 && (
            <label className="field">
              {t("message_editor.add_tap_action")}
              <select
                value=""
                onChange={(e) => {
                  const type = types.get(e.target.value);
                  if (type) setEnishi([...enishiActions, { type: type.key, type_version: type.version, config: {} }]);
                }}
              >
                <option value="">{t("picker.choose")}</option>
                {actionTypes
                  // Not an action that itself sends messages (a button inside a message sending more).
                  .filter((x) => messagesProperty(x.ui_schema) === null)
                  .map((x) => (
                    <option key={x.key} value={x.key}>
                      {localized(x.label, i18n.language)}
                    </option>
                  ))}
              </select>
            </label>
          )}
        </div>
      )}
    </div>
  );
}

const PREVIEW_DELAY_MS = 400;

function objections(e: ApiError): string[] {
  return e.errors.map((x) => problemText(x)).concat(e.errors.length ? [] : [e.message]);
}

/** The workspace route that shows messages as a friend would see them, as the field's uiSchema names it
 * (`"ui:options": {"preview": "/…"}`); none, no server preview. */
export function previewPath(uiSchema: unknown): string | null {
  const options = (uiSchema as { "ui:options"?: { preview?: unknown } } | undefined)?.["ui:options"];
  const path = options?.preview;
  return typeof path === "string" && /^\/[A-Za-z0-9_\-/]+$/.test(path) ? path : null;
}

/** The preview route of a message editor some enabled plugin's node type declares (for message editors of the
 * core's own, such as a broadcast's), or null. */
export function declaredPreviewPath(types: Iterable<NodeTypeDef>): string | null {
  for (const type of types) {
    const key = messagesProperty(type.ui_schema);
    const path = key ? previewPath(type.ui_schema[key]) : null;
    if (path) return path;
  }
  return null;
}

/** What the server makes of the messages (variables filled in with samples), or its objections. */
function ServerPreview({ messages, path }: { messages: Message[]; path: string | null }) {
  const { t } = useTranslation();
  const source = useContext(LookupContext);
  // The route is the one the field's plugin names; a field without one shows the messages as written only.
  const usable = Boolean(source && path);
  const body = JSON.stringify(messages);
  const asked = useSettled(body, PREVIEW_DELAY_MS);
  const url = workspaceUrl(source?.workspaceId ?? 0, path ?? "");
  const query = useQuery(
    {
      queryKey: [...keyOfUrl(url), asked],
      queryFn: async ({ signal }): Promise<{ messages: Message[] | null; problems: string[] }> => {
        try {
          const r = await request<{ messages: Message[]; warnings: { path: string; message: string }[] }>(
            "POST",
            url,
            { messages: JSON.parse(asked) as Message[] },
            undefined,
            signal,
          );
          // The warnings' paths start at the list of messages ("$[0].text").
          const problems = r.warnings.map((w) => problemText({ ...w, path: w.path.replace(/^\$/, "$.messages") }));
          return { messages: r.messages, problems };
        } catch (e) {
          // The server's objections to these messages are its answer (shown until the next one).
          if (!(e instanceof ApiError) || e.status >= 500 || e.status === 429 || e.status === 408) throw e;
          return { messages: null, problems: objections(e) };
        }
      },
      // Only the messages on screen, once settled (never those of a moment ago).
      enabled: usable && messages.length > 0 && asked === body,
      placeholderData: keepPreviousData,
      staleTime: 0,
    },
    queryClient,
  );
  // The messages as written until the server's answer for them comes; its remarks stay until the next ones.
  const current = usable && asked === body && !query.isPlaceholderData ? query.data : undefined;
  const shown = current?.messages ?? messages;
  const problems = !usable
    ? []
    : query.error
      ? query.error instanceof ApiError
        ? objections(query.error)
        : [String(query.error)]
      : (query.data?.problems ?? []);

  if (messages.length === 0) return <p className="muted small">{t("message_editor.none")}</p>;
  return (
    <div className="preview-box">
      <LinePreview messages={shown} />
      {problems.length > 0 && (
        <ul className="problems small" aria-label={t("message_editor.problems")}>
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
