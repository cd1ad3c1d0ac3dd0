// The message editor for `"ui:field": "lineMessages"`: text, picture and button messages (buttons may run
// actions of any plugin when tapped), other LINE message objects as JSON, and a LINE-like preview of what
// the server makes of them (POSTed to the route the field's uiSchema names: `"ui:options": {"preview": …}`).
import ArrowDownOutlined from "@ant-design/icons/ArrowDownOutlined";
import ArrowUpOutlined from "@ant-design/icons/ArrowUpOutlined";
import type { FieldProps } from "@rjsf/utils";
import { Alert, Button, Card, Dropdown, Flex, Form, Input, Select, Space, Tag, Typography } from "antd";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useContext, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, request, workspaceUrl, type ApiErrorItem } from "../api";
import { FormItem } from "../components/FormItem";
import { useEditor } from "../editor/context";
import i18n, { localized } from "../i18n";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { lookupForWidget, LookupContext, useLookups, useOptions } from "./pickers";
import { MediaMessagePicker } from "./MediaMessagePicker";
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
  const prefix = props.idSchema?.$id ?? "msg";

  return (
    <fieldset className="messages-editor">
      <legend>{t("message_editor.title")}</legend>
      {messages.map((m, i) => (
        <Card
          size="small"
          className="message-item"
          key={i}
          role="group"
          aria-label={t("message_editor.nth", { n: i + 1 })}
          title={
            <Space size={6}>
              <span>{t("message_editor.nth", { n: i + 1 })}</span>
              <Tag bordered={false}>{t(`message_editor.kind.${messageKind(m)}`)}</Tag>
            </Space>
          }
          extra={
            <Space.Compact size="small">
              <Button
                icon={<ArrowUpOutlined />}
                disabled={i === 0}
                onClick={() => set(swap(messages, i, i - 1))}
                aria-label={t("message_editor.up")}
                title={t("message_editor.up")}
              />
              <Button
                icon={<ArrowDownOutlined />}
                disabled={i === messages.length - 1}
                onClick={() => set(swap(messages, i, i + 1))}
                aria-label={t("message_editor.down")}
                title={t("message_editor.down")}
              />
              <Button danger onClick={() => set(messages.filter((_, j) => j !== i))}>
                {t("common.remove")}
              </Button>
            </Space.Compact>
          }
        >
          <MessageEditor message={m} onChange={(next) => update(i, next)} id={`${prefix}_${i}`} />
        </Card>
      ))}
      {messages.length < MAX_MESSAGES && (
        <Space className="add-message" size={6} wrap>
          <span>{t("message_editor.add")}:</span>
          {(["text", "image", "buttons"] as const).map((kind) => (
            <Button size="small" key={kind} onClick={() => set([...messages, newMessage(kind)])}>
              {t(`message_editor.kind.${kind}`)}
            </Button>
          ))}
        </Space>
      )}
      <ServerPreview messages={messages} path={previewPath(props.uiSchema)} friendId={previewFriendId(props.uiSchema)} />
    </fieldset>
  );
}

function swap<T>(list: T[], a: number, b: number): T[] {
  const out = [...list];
  [out[a], out[b]] = [out[b], out[a]];
  return out;
}

/** "変数を挿入": the variables the workspace's messages can hold (the lookup claiming `messageVariable`), each
 * inserted where the cursor is, so nobody has to type {{friend.display_name}}. */
function VariableMenu({ targetId, value, onInsert }: { targetId: string; value: string; onInsert: (text: string) => void }) {
  const { t } = useTranslation();
  const lookups = useLookups();
  const { options } = useOptions(lookups ? lookupForWidget("messageVariable", lookups) : null);
  if (!options?.length) return null;
  const insert = (placeholder: string) => {
    const box = document.getElementById(targetId) as HTMLTextAreaElement | HTMLInputElement | null;
    const start = box?.selectionStart ?? value.length;
    const end = box?.selectionEnd ?? start;
    onInsert(value.slice(0, start) + placeholder + value.slice(end));
  };
  return (
    <Dropdown
      trigger={["click"]}
      menu={{ items: options.map((o) => ({ key: String(o.value), label: o.label })), onClick: ({ key }) => insert(key) }}
    >
      <Button size="small" className="insert-variable">
        {t("message_editor.insert_variable")}
      </Button>
    </Dropdown>
  );
}

/** A text of the message (or of one of its buttons) in a labelled form item. */
function TextItem({
  id,
  label,
  value,
  onChange,
  maxLength,
  rows,
  type,
  invalid,
  variables,
}: {
  id: string;
  label: string;
  value: unknown;
  onChange: (text: string) => void;
  maxLength?: number;
  /** Several lines: a text area of so many rows. */
  rows?: number;
  type?: "url";
  invalid?: string;
  /** Offer the workspace's variables ({{friend.display_name}} …) to insert where the cursor is. */
  variables?: boolean;
}) {
  const text = String(value ?? "");
  return (
    <FormItem id={id} label={label} messages={invalid ? [invalid] : []}>
      {rows ? (
        <Input.TextArea
          id={id}
          rows={rows}
          maxLength={maxLength}
          value={text}
          status={invalid ? "error" : undefined}
          aria-invalid={Boolean(invalid)}
          className={rows > 4 ? "mono" : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <Input id={id} type={type} maxLength={maxLength} value={text} onChange={(e) => onChange(e.target.value)} />
      )}
      {variables && <VariableMenu targetId={id} value={text} onInsert={onChange} />}
    </FormItem>
  );
}

function MessageEditor({ message, onChange, id }: { message: Message; onChange: (m: Message) => void; id: string }) {
  const { t } = useTranslation();
  const kind = messageKind(message);
  if (kind === "text") {
    return (
      <TextItem
        id={`${id}_text`}
        label={t("message_editor.text")}
        rows={3}
        maxLength={5000}
        variables
        value={message.text}
        onChange={(text) => onChange({ ...message, text })}
      />
    );
  }
  if (kind === "image") {
    return (
      <>
        <MediaMessagePicker onPick={(picked) => onChange({ ...message, ...picked })} />
        <TextItem
          id={`${id}_original`}
          type="url"
          label={t("message_editor.image_url")}
          value={message.originalContentUrl}
          onChange={(url) => onChange({ ...message, originalContentUrl: url })}
        />
        <TextItem
          id={`${id}_preview`}
          type="url"
          label={t("message_editor.preview_url")}
          value={message.previewImageUrl}
          onChange={(url) => onChange({ ...message, previewImageUrl: url })}
        />
      </>
    );
  }
  if (kind === "buttons") return <ButtonsEditor message={message} onChange={onChange} id={id} />;
  return <JsonEditor message={message} onChange={onChange} id={id} />;
}

function JsonEditor({ message, onChange, id }: { message: Message; onChange: (m: Message) => void; id: string }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(message, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <TextItem
      id={`${id}_json`}
      label={t("message_editor.json")}
      rows={8}
      value={text}
      invalid={bad ? t("message_editor.bad_json") : undefined}
      onChange={(next) => {
        setText(next);
        try {
          onChange(JSON.parse(next));
          setBad(false);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}

function ButtonsEditor({ message, onChange, id }: { message: Message; onChange: (m: Message) => void; id: string }) {
  const { t } = useTranslation();
  const template = (message.template ?? {}) as Message;
  const actions = (template.actions ?? []) as Action[];
  const setTemplate = (patch: Message) => onChange({ ...message, template: { ...template, ...patch } });
  const setAction = (i: number, a: Action) => setTemplate({ actions: actions.map((x, j) => (j === i ? a : x)) });
  return (
    <div className="buttons-editor">
      <TextItem
        id={`${id}_alt`}
        label={t("message_editor.alt_text")}
        maxLength={400}
        value={message.altText}
        onChange={(altText) => onChange({ ...message, altText })}
      />
      <TextItem
        id={`${id}_title`}
        label={t("message_editor.card_title")}
        maxLength={40}
        value={template.title}
        onChange={(title) => {
          const { title: _drop, ...rest } = template;
          void _drop;
          onChange({ ...message, template: title ? { ...rest, title } : rest });
        }}
      />
      <TextItem
        id={`${id}_card_text`}
        label={t("message_editor.card_text")}
        rows={2}
        maxLength={160}
        variables
        value={template.text}
        onChange={(text) => setTemplate({ text })}
      />
      {actions.map((a, i) => (
        <ButtonEditor
          key={i}
          index={i}
          id={`${id}_button_${i}`}
          action={a}
          onChange={(next) => setAction(i, next)}
          onRemove={() => setTemplate({ actions: actions.filter((_, j) => j !== i) })}
        />
      ))}
      {actions.length < MAX_BUTTONS && (
        <Button
          type="dashed"
          size="small"
          onClick={() => setTemplate({ actions: [...actions, { type: "postback", label: "", enishi_actions: [] }] })}
        >
          {t("message_editor.add_button")}
        </Button>
      )}
    </div>
  );
}

function ButtonEditor({
  action,
  onChange,
  onRemove,
  index,
  id,
}: {
  action: Action;
  onChange: (a: Action) => void;
  onRemove: () => void;
  index: number;
  id: string;
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
  const kinds = (["postback", "uri", "message"] as const).map((k) => ({ value: k, label: t(`message_editor.does.${k}`) }));
  // Not an action that itself sends messages (a button inside a message sending more).
  const addable = actionTypes
    .filter((x) => messagesProperty(x.ui_schema) === null)
    .map((x) => ({ value: x.key, label: localized(x.label, i18n.language) }));
  return (
    <div className="button-editor" role="group" aria-label={t("message_editor.button_n", { n: index + 1 })}>
      <Flex gap={8} align="end" wrap>
        <div className="grow">
          <TextItem
            id={`${id}_label`}
            label={t("message_editor.button_label")}
            maxLength={20}
            value={action.label}
            onChange={(label) => onChange({ ...action, label })}
          />
        </div>
        <FormItem id={`${id}_does`} label={t("message_editor.button_does")}>
          <Select id={`${id}_does`} value={kind} options={kinds} onChange={setKind} popupMatchSelectWidth={false} />
        </FormItem>
        <Form.Item>
          <Button danger size="small" onClick={onRemove}>
            {t("common.remove")}
          </Button>
        </Form.Item>
      </Flex>
      {kind === "uri" && (
        <TextItem id={`${id}_uri`} type="url" label="URL" value={action.uri} onChange={(uri) => onChange({ ...action, uri })} />
      )}
      {kind === "message" && (
        <TextItem
          id={`${id}_text`}
          label={t("message_editor.button_text")}
          maxLength={300}
          value={action.text}
          onChange={(text) => onChange({ ...action, text })}
        />
      )}
      {kind === "postback" && (
        <div className="tap-actions">
          <TextItem
            id={`${id}_display`}
            label={t("message_editor.display_text")}
            maxLength={300}
            value={action.displayText}
            onChange={(displayText) => {
              const { displayText: _d, ...rest } = action;
              void _d;
              onChange(displayText ? { ...rest, displayText } : rest);
            }}
          />
          <Typography.Paragraph type="secondary" className="small">
            {t("message_editor.on_tap")}
          </Typography.Paragraph>
          {enishiActions.map((ea, j) => {
            const type = types.get(ea.type);
            return (
              <Card
                size="small"
                className="tap-action"
                key={j}
                role="group"
                aria-label={t("message_editor.tap_action_n", { n: j + 1 })}
                title={type ? localized(type.label, i18n.language) : ea.type}
                extra={
                  <Button danger size="small" onClick={() => setEnishi(enishiActions.filter((_, k) => k !== j))}>
                    {t("common.remove")}
                  </Button>
                }
              >
                {type && (
                  <ConfigForm
                    idPrefix={`${id}_tap_${j}`}
                    nodeType={type}
                    config={ea.config}
                    onChange={(config) => setEnishi(enishiActions.map((x, k) => (k === j ? { ...x, config } : x)))}
                  />
                )}
              </Card>
            );
          })}
          {enishiActions.length < 5 && (
            <FormItem id={`${id}_add_action`} label={t("message_editor.add_tap_action")}>
              <Select<string>
                id={`${id}_add_action`}
                value={null}
                placeholder={t("picker.choose")}
                options={addable}
                showSearch={addable.length > 8}
                optionFilterProp="label"
                virtual={false}
                onChange={(key) => {
                  const type = types.get(key);
                  if (type) setEnishi([...enishiActions, { type: type.key, type_version: type.version, config: {} }]);
                }}
              />
            </FormItem>
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

/** The friend whose values the preview fills in (`"ui:options": {"previewFriendId": n}`); none: samples. */
export function previewFriendId(uiSchema: unknown): number | null {
  const options = (uiSchema as { "ui:options"?: { previewFriendId?: unknown } } | undefined)?.["ui:options"];
  const id = options?.previewFriendId;
  return typeof id === "number" && Number.isInteger(id) && id > 0 ? id : null;
}

/** What is still missing from half-written messages (a text without words, an image or a video without its
 * file), as the server would say it, at the same paths ("$.messages[0].text"). */
export function unwrittenProblems(messages: readonly Message[]): ApiErrorItem[] {
  const filled = (value: unknown) => typeof value === "string" && value.trim() !== "";
  const out: ApiErrorItem[] = [];
  messages.forEach((m, i) => {
    const say = (text: string) => localized(text, i18n.language);
    if (m.type === "text" && !filled(m.text)) out.push({ path: `$.messages[${i}].text`, message: say("本文を入れてください / Write the text") });
    if ((m.type === "image" || m.type === "video") && !(filled(m.originalContentUrl) && filled(m.previewImageUrl)))
      out.push({ path: `$.messages[${i}].originalContentUrl`, message: say("ファイルを選んでください / Choose a file") });
  });
  return out;
}

/** Messages worth asking the server about: none still half-written. Until then the form says what is missing
 * itself, and nothing is sent (the server would only refuse it). */
export function messagesWritten(messages: readonly Message[]): boolean {
  return unwrittenProblems(messages).length === 0;
}

/** What the server makes of the messages (variables filled in for the example friend, or with samples), or its
 * objections. */
function ServerPreview({ messages, path, friendId }: { messages: Message[]; path: string | null; friendId: number | null }) {
  const { t } = useTranslation();
  const source = useContext(LookupContext);
  // The route is the one the field's plugin names; a field without one shows the messages as written only.
  const usable = Boolean(source && path);
  const body = JSON.stringify({ messages, ...(friendId !== null ? { friend_id: friendId } : {}) });
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
            JSON.parse(asked) as { messages: Message[]; friend_id?: number },
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
      enabled: usable && messages.length > 0 && messagesWritten(messages) && asked === body,
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

  if (messages.length === 0) return <Typography.Paragraph type="secondary">{t("message_editor.none")}</Typography.Paragraph>;
  return (
    <div className="preview-box">
      <LinePreview messages={shown} />
      {problems.length > 0 && (
        <Alert
          type="warning"
          showIcon
          message={
            <ul className="problems small" aria-label={t("message_editor.problems")}>
              {problems.map((p, i) => (
                <li key={i}>{p}</li>
              ))}
            </ul>
          }
        />
      )}
    </div>
  );
}
