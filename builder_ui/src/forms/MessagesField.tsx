// The message editor for `"ui:field": "lineMessages"`: text, picture and button messages (buttons may run
// actions of any plugin when tapped), other LINE message objects as JSON, and a LINE-like preview of what
// the server makes of them (POST …/messages/preview).
import type { FieldProps } from "@rjsf/utils";
import { useContext, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../api";
import { useEditor } from "../editor/context";
import { localized } from "../i18n";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { LookupContext } from "./pickers";

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
      <legend>{t("messages.title")}</legend>
      {messages.map((m, i) => (
        <div className="message-item" key={i} role="group" aria-label={t("messages.nth", { n: i + 1 })}>
          <div className="message-item-head">
            <strong>{t("messages.nth", { n: i + 1 })}</strong>
            <span className="muted">{t(`messages.kind.${messageKind(m)}`)}</span>
            <span className="spacer" />
            <button type="button" className="small" disabled={i === 0} onClick={() => set(swap(messages, i, i - 1))} aria-label={t("messages.up")}>
              ↑
            </button>
            <button
              type="button"
              className="small"
              disabled={i === messages.length - 1}
              onClick={() => set(swap(messages, i, i + 1))}
              aria-label={t("messages.down")}
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
          <span>{t("messages.add")}:</span>
          {(["text", "image", "buttons"] as const).map((kind) => (
            <button type="button" key={kind} onClick={() => set([...messages, newMessage(kind)])}>
              {t(`messages.kind.${kind}`)}
            </button>
          ))}
        </div>
      )}
      <ServerPreview messages={messages} />
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
        {t("messages.text")}
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
          {t("messages.image_url")}
          <input
            type="url"
            value={String(message.originalContentUrl ?? "")}
            onChange={(e) => onChange({ ...message, originalContentUrl: e.target.value })}
          />
        </label>
        <label className="field">
          {t("messages.preview_url")}
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
      {t("messages.json")}
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
      {bad && <span className="error small">{t("messages.bad_json")}</span>}
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
        {t("messages.alt_text")}
        <input value={String(message.altText ?? "")} maxLength={400} onChange={(e) => onChange({ ...message, altText: e.target.value })} />
      </label>
      <label className="field">
        {t("messages.card_title")}
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
        {t("messages.card_text")}
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
          {t("messages.add_button")}
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
    <div className="button-editor" role="group" aria-label={t("messages.button_n", { n: index + 1 })}>
      <div className="row">
        <label className="field grow">
          {t("messages.button_label")}
          <input value={String(action.label ?? "")} maxLength={20} onChange={(e) => onChange({ ...action, label: e.target.value })} />
        </label>
        <label className="field">
          {t("messages.button_does")}
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="postback">{t("messages.does.postback")}</option>
            <option value="uri">{t("messages.does.uri")}</option>
            <option value="message">{t("messages.does.message")}</option>
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
          {t("messages.button_text")}
          <input value={String(action.text ?? "")} maxLength={300} onChange={(e) => onChange({ ...action, text: e.target.value })} />
        </label>
      )}
      {kind === "postback" && (
        <div className="tap-actions">
          <label className="field">
            {t("messages.display_text")}
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
          <p className="small muted">{t("messages.on_tap")}</p>
          {enishiActions.map((ea, j) => {
            const type = types.get(ea.type);
            return (
              <div className="tap-action" key={j} role="group" aria-label={t("messages.tap_action_n", { n: j + 1 })}>
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
              {t("messages.add_tap_action")}
              <select
                value=""
                onChange={(e) => {
                  const type = types.get(e.target.value);
                  if (type) setEnishi([...enishiActions, { type: type.key, type_version: type.version, config: {} }]);
                }}
              >
                <option value="">{t("picker.choose")}</option>
                {actionTypes
                  .filter((x) => x.key !== "messages.send_messages")
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

/** What the server makes of the messages (variables filled in with samples), or its objections. */
function ServerPreview({ messages }: { messages: Message[] }) {
  const { t } = useTranslation();
  const source = useContext(LookupContext);
  const [shown, setShown] = useState<Message[]>(messages);
  const [problems, setProblems] = useState<string[]>([]);
  const usable = source?.enabledPlugins.includes("messages");
  const body = JSON.stringify(messages);

  useEffect(() => {
    setShown(messages);
    if (!source || !usable || messages.length === 0) {
      setProblems([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api
        .post<{ messages: Message[]; warnings: { path: string; message: string }[] }>(
          workspaceUrl(source.workspaceId, "/messages/preview"),
          { messages },
        )
        .then((r) => {
          if (!live) return;
          setShown(r.messages);
          setProblems(r.warnings.map((w) => `${w.path}: ${w.message}`));
        })
        .catch((e) => {
          if (!live) return;
          setProblems(
            e instanceof ApiError ? e.errors.map((x) => `${x.path ?? ""}: ${x.message}`).concat(e.errors.length ? [] : [e.message]) : [String(e)],
          );
        });
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [body, source, usable]);

  if (messages.length === 0) return <p className="muted small">{t("messages.none")}</p>;
  return (
    <div className="preview-box">
      <LinePreview messages={shown} />
      {problems.length > 0 && (
        <ul className="problems small" aria-label={t("messages.problems")}>
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
