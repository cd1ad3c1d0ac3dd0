// A new broadcast (一斉配信 / セグメント配信), or a draft opened again: 1–5 messages with the LINE-like preview
// (variables filled in for an example friend), the audience (every friend, a segment with friends left out, or a
// saved segment), the live recipient count with LINE's quota and the plan's limit, a test send to someone picked
// from a list, "save as draft", and "send now" or a time in the workspace's time zone, confirmed in a dialog that
// says to how many and what; once sent, the broadcast's own page.
import type { FieldProps } from "@rjsf/utils";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Button, Checkbox, Input, Radio, Select, Space } from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { api, ApiError, request, workspaceUrl, type ApiErrorItem } from "../../api";
import { EditorContext, useEditor, type EditorShared } from "../../editor/context";
import { declaredPreviewPath, MessagesField, unwrittenProblems } from "../../forms/MessagesField";
import { LookupContext } from "../../forms/pickers";
import { localized } from "../../i18n";
import { keyOfUrl, queryClient } from "../../query";
import { useSettled } from "../../useSettled";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import { SegmentBuilder } from "../friends/SegmentBuilder";
import { useWorkspaceCatalog } from "../../platform/catalog";
import { sectionUrl } from "../sections";
import {
  audienceOf,
  audienceReady,
  scheduledAt,
  sendBlock,
  sortProblems,
  targetOf,
  testRecipient,
  type Audience,
  type SortedProblems,
} from "./compose";
import type { Broadcast, Draft, Estimate, Message, TestRecipient } from "./types";
import { ConfirmSend } from "./ConfirmSend";
import { ExamplePreview } from "./ExamplePreview";
import { refreshQuota } from "./quota";
import { SavedMessages } from "./SavedMessages";
import { RecipientPicker, useTestRecipients } from "./RecipientPicker";
import "./broadcasts.css";
import { problemText } from "../../problems";
import { DateTimeField } from "../../components/TimeFields";

const ESTIMATE_DELAY_MS = 500;
const NO_PROBLEMS: SortedProblems = { messages: [], segment: [], exclude: [], other: [] };

function newKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function Problems({ items, label }: { items: ApiErrorItem[]; label: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="errors" aria-label={label}>
      {items.map((p, i) => (
        <li key={i}>
          {problemText(p)}
        </li>
      ))}
    </ul>
  );
}

interface SavedSegment {
  id: number;
  name: string;
  problems: { path: string; message: string }[];
}

/** The live estimate: asked again a moment after the audience or the messages stop changing. */
function useEstimate(access: WorkspaceAccess, audience: Audience, messages: Message[]) {
  const ready = audienceReady(audience);
  // Half-written messages are left out (they only decide multicast or push): no request the server must refuse;
  // what they miss is said here instead.
  const unwritten = unwrittenProblems(messages);
  const written = messages.length > 0 && unwritten.length === 0;
  const body = JSON.stringify({ target: targetOf(audience), messages: written ? messages : undefined });
  const asked = useSettled(body, ESTIMATE_DELAY_MS);
  const url = workspaceUrl(access.workspace.id, "/broadcasts/estimate");
  const query = useQuery(
    {
      queryKey: [...keyOfUrl(url), asked],
      queryFn: async ({ signal }): Promise<{ result: Estimate; found: SortedProblems }> => {
        const sent = JSON.parse(asked) as { target: unknown; messages?: Message[] };
        try {
          return { result: await request<Estimate>("POST", url, sent, undefined, signal), found: NO_PROBLEMS };
        } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 422) throw e;
          const found = sortProblems(e.errors);
          // Messages still being written: the count without them (they only decide multicast or push).
          if (found.segment.length || found.exclude.length || found.other.length || !sent.messages) throw e;
          const result = await request<Estimate>("POST", url, { target: sent.target }, undefined, signal);
          return { result, found };
        }
      },
      // Only what is on screen now, once settled (never the audience of a moment ago, nor an unfinished one).
      enabled: ready && asked === body,
      placeholderData: keepPreviousData,
      staleTime: 0,
    },
    queryClient,
  );
  const missing = sortProblems(unwritten);
  const withMissing = (found: SortedProblems): SortedProblems => ({ ...found, messages: [...missing.messages, ...found.messages] });
  if (!ready) return { estimate: null, problems: withMissing(NO_PROBLEMS), loading: false, error: null };
  const loading = asked !== body || query.isFetching;
  if (query.error) {
    const e = query.error;
    const problems = e instanceof ApiError ? sortProblems(e.errors) : NO_PROBLEMS;
    return { estimate: null, problems: withMissing(problems), loading, error: e instanceof Error ? e.message : String(e) };
  }
  return { estimate: query.data?.result ?? null, problems: withMissing(query.data?.found ?? NO_PROBLEMS), loading, error: null };
}

export function BroadcastComposer({ access, draft }: { access: WorkspaceAccess; draft?: Draft }) {
  // The pickers' lists: the workspace catalog's lookups.
  const lookupSource = useMemo(() => ({ workspaceId: access.workspace.id }), [access.workspace.id]);
  const { catalog } = useWorkspaceCatalog(access.workspace.id);
  const types = useMemo(() => new Map<string, NodeTypeDef>(catalog?.node_types.map((x) => [x.key, x]) ?? []), [catalog]);
  // The message editor's button actions come from the catalog, as in the scenario builder.
  const shared: EditorShared = useMemo(
    () => ({ types, problemsByNode: new Map(), dryRun: new Map(), waitingByNode: {}, timezone: access.workspace.timezone }),
    [types, access.workspace.timezone],
  );
  return (
    <EditorContext.Provider value={shared}>
      <LookupContext.Provider value={lookupSource}>
        <Composer access={access} draft={draft} />
      </LookupContext.Provider>
    </EditorContext.Provider>
  );
}

function Composer({ access, draft }: { access: WorkspaceAccess; draft?: Draft }) {
  const { t, i18n } = useTranslation();
  const { types } = useEditor();
  const ws = access.workspace.id;
  const navigate = useNavigate();
  const location = useLocation();
  const [name, setName] = useState(draft?.name ?? "");
  const [messages, setMessages] = useState<Message[]>(draft?.messages.length ? draft.messages : [{ type: "text", text: "" }]);
  const [touched, setTouched] = useState(Boolean(draft));
  const [audience, setAudience] = useState<Audience>(() => audienceOf(draft?.target));
  const [excluding, setExcluding] = useState(Boolean(draft?.target.exclude));
  const [saved, setSaved] = useState<SavedSegment[] | null>(null);
  const [when, setWhen] = useState<"now" | "later">(draft?.scheduled_at_local ? "later" : "now");
  const [localTime, setLocalTime] = useState(draft?.scheduled_at_local ?? "");
  const [allowPartial, setAllowPartial] = useState(draft?.allow_partial ?? false);
  const [submitting, setSubmitting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [submitProblems, setSubmitProblems] = useState<SortedProblems>(NO_PROBLEMS);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [draftState, setDraftState] = useState<{ saving: boolean; saved: boolean; error: string | null }>({
    saving: false,
    saved: Boolean((location.state as { saved?: boolean } | null)?.saved),
    error: null,
  });
  const [testTo, setTestTo] = useState<TestRecipient | null>(null);
  const [testResult, setTestResult] = useState<{ ok: boolean; text: string } | null>(null);
  // The preview fills variables in for this friend: the one chosen, else the first one listed.
  const [example, setExample] = useState<TestRecipient | null>(null);
  const listed = useTestRecipients(ws, "");
  const exampleFriend = example ?? listed.data?.find((r) => r.friend_id !== null) ?? null;
  const idempotencyKey = useRef(newKey());
  const { estimate, problems, loading, error } = useEstimate(access, audience, messages);

  useEffect(() => {
    api
      .get<SavedSegment[]>(workspaceUrl(ws, "/friends/tabs"))
      .then(setSaved)
      .catch(() => setSaved([]));
  }, [ws]);

  const scheduled = when === "later";
  const block = sendBlock(estimate, scheduled, allowPartial);
  const shownProblems: SortedProblems = {
    // An untouched first message is not a mistake yet: its problems wait for an edit or for sending.
    messages: submitProblems.messages.length ? submitProblems.messages : touched ? problems.messages : [],
    segment: submitProblems.segment.length ? submitProblems.segment : problems.segment,
    exclude: submitProblems.exclude.length ? submitProblems.exclude : problems.exclude,
    other: [...problems.other, ...submitProblems.other],
  };

  const setKind = (kind: Audience["kind"]) => setAudience({ ...audience, kind });

  /** The form is complete enough to ask "send?": a time is picked when it is scheduled. */
  const askToSend = () => {
    setSubmitError(null);
    setSubmitProblems(NO_PROBLEMS);
    if (scheduled && !scheduledAt(localTime)) {
      setSubmitProblems({ ...NO_PROBLEMS, other: [{ path: "$.scheduled_at", message: t("broadcasts.compose.pick_time") }] });
      return;
    }
    setConfirming(true);
  };

  const draftBody = () => ({
    name: name.trim(),
    messages,
    target: targetOf(audience),
    scheduled_at: scheduled ? scheduledAt(localTime) : null,
    allow_partial: allowPartial,
  });

  const saveDraft = async () => {
    setDraftState({ saving: true, saved: false, error: null });
    try {
      if (draft) {
        const url = workspaceUrl(ws, `/broadcasts/drafts/${draft.id}`);
        queryClient.setQueryData(keyOfUrl(url), await request<Draft>("PUT", url, draftBody()));
        setDraftState({ saving: false, saved: true, error: null });
      } else {
        const made = await request<Draft>("POST", workspaceUrl(ws, "/broadcasts/drafts"), draftBody());
        queryClient.setQueryData(keyOfUrl(workspaceUrl(ws, `/broadcasts/drafts/${made.id}`)), made);
        // The draft's own address: a reload opens it again.
        navigate(sectionUrl(ws, "broadcasts", "drafts", made.id), { replace: true, state: { saved: true } });
      }
    } catch (e) {
      const text = e instanceof ApiError ? [e.message, ...e.errors.map((x) => problemText(x))].join(" — ") : String(e);
      setDraftState({ saving: false, saved: false, error: text });
    }
  };

  const submit = async () => {
    setSubmitting(true);
    const at = scheduled ? scheduledAt(localTime) : null;
    try {
      const created = await request<{ broadcast: Broadcast }>(
        "POST",
        workspaceUrl(ws, "/broadcasts"),
        {
          name: name.trim(),
          messages,
          target: targetOf(audience),
          scheduled_at: at,
          allow_partial: allowPartial,
          ...(draft ? { draft_id: draft.id } : {}),
        },
        // A retry of this very form (say after a network error) cannot create a second broadcast.
        { "Idempotency-Key": idempotencyKey.current },
      );
      setConfirming(false);
      // The broadcast's own page, with its progress (a reload shows it again); "back" does not return to the form.
      navigate(sectionUrl(ws, "broadcasts", created.broadcast.id), { replace: true });
    } catch (e) {
      setConfirming(false);
      if (e instanceof ApiError) {
        setSubmitProblems(sortProblems(e.errors));
        setSubmitError(e.message);
        if (e.code === "idempotency_key_reused" || e.status === 422 || e.status === 409) idempotencyKey.current = newKey();
      } else setSubmitError(String(e));
    } finally {
      setSubmitting(false);
    }
  };

  const testSend = async () => {
    const to = testRecipient(testTo);
    if (!to) {
      setTestResult({ ok: false, text: t("broadcasts.compose.test_to_missing") });
      return;
    }
    try {
      await api.post(workspaceUrl(ws, "/broadcasts/test-send"), { messages, to });
      setTestResult({ ok: true, text: t("broadcasts.compose.test_sent") });
    } catch (e) {
      const text = e instanceof ApiError ? [e.message, ...e.errors.map((x) => problemText(x))].join(" — ") : String(e);
      setTestResult({ ok: false, text });
    }
  };

  const fieldProps = {
    // The server's preview of the messages, through the route a message-sending plugin declares (if one is on).
    uiSchema: { "ui:options": { preview: declaredPreviewPath(types.values()), previewFriendId: exampleFriend?.friend_id ?? null } },
    formData: messages,
    onChange: (next: Message[]) => {
      setTouched(true);
      setMessages(next ?? []);
    },
  } as unknown as FieldProps;
  const canSend = access.permissions.includes("core.broadcast");

  return (
    <div className="page broadcast-composer">
      <div className="page-head">
        <h1>{draft ? t("broadcasts.compose.draft_title") : t("broadcasts.compose.title")}</h1>
        <Link to={sectionUrl(ws, "broadcasts")}>{t("broadcasts.back_to_list")}</Link>
      </div>
      <form
        className="composer-grid"
        onSubmit={(e) => {
          e.preventDefault();
          askToSend();
        }}
      >
        <div className="composer-main">
          <label className="field">
            {t("broadcasts.compose.name")}
            <Input value={name} maxLength={200} required onChange={(e) => setName(e.target.value)} />
          </label>

          <div className="field example-friend">
            <label htmlFor="broadcast-example-friend">{t("broadcasts.compose.example_friend")}</label>
            <RecipientPicker workspaceId={ws} id="broadcast-example-friend" value={exampleFriend} onChange={setExample} />
          </div>
          <SavedMessages
            workspaceId={ws}
            onPick={(picked) => {
              setTouched(true);
              setMessages(picked.map((m) => structuredClone(m)));
            }}
          />
          <MessagesField {...fieldProps} />
          <Problems items={shownProblems.messages} label={t("broadcasts.compose.message_problems")} />

          <fieldset className="composer-audience">
            <legend>{t("broadcasts.compose.audience")}</legend>
            {/* antd's group is a plain div: the radiogroup (and its name) is this one around it. */}
            <div role="radiogroup" aria-label={t("broadcasts.compose.audience")}>
              <Radio.Group name="audience" value={audience.kind} onChange={(e) => setKind(e.target.value as Audience["kind"])}>
                {(["all", "segment", "saved"] as const).map((kind) => (
                  <Radio key={kind} value={kind}>
                    {t(`broadcasts.compose.audience_${kind}`)}
                  </Radio>
                ))}
              </Radio.Group>
            </div>
            {audience.kind === "segment" && (
              <div role="group" aria-label={t("broadcasts.compose.include")}>
                <h3>{t("broadcasts.compose.include")}</h3>
                <SegmentBuilder
                  access={access}
                  value={audience.segment}
                  onChange={(segment) => setAudience((a) => ({ ...a, segment }))}
                  problems={shownProblems.segment}
                />
              </div>
            )}
            {audience.kind === "saved" && (
              <div className="field">
                <label htmlFor="broadcast-saved-segment">{t("broadcasts.compose.saved_segment")}</label>
                <Select
                  id="broadcast-saved-segment"
                  value={audience.savedId ?? ""}
                  onChange={(value: number | "") => setAudience({ ...audience, savedId: value === "" ? null : value })}
                  options={[
                    { value: "", label: t("broadcasts.compose.choose") },
                    ...(saved ?? []).map((s) => ({ value: s.id, label: s.name, disabled: s.problems.length > 0 })),
                  ]}
                />
              </div>
            )}
            <Checkbox
              checked={excluding}
              onChange={(e) => {
                setExcluding(e.target.checked);
                if (!e.target.checked) setAudience((a) => ({ ...a, exclude: null }));
              }}
            >
              {t("broadcasts.compose.use_exclude")}
            </Checkbox>
            {excluding && (
              <div role="group" aria-label={t("broadcasts.compose.exclude")}>
                <h3>{t("broadcasts.compose.exclude")}</h3>
                <SegmentBuilder
                  access={access}
                  value={audience.exclude}
                  onChange={(exclude) => setAudience((a) => ({ ...a, exclude }))}
                  problems={shownProblems.exclude}
                />
              </div>
            )}
          </fieldset>
        </div>

        <aside className="composer-side" aria-label={t("broadcasts.compose.summary")}>
          <EstimateBox
            estimate={estimate}
            loading={loading}
            error={error}
            ready={audienceReady(audience)}
            onRefresh={canSend ? () => refreshQuota(ws) : undefined}
          />
          {estimate && !estimate.fits && estimate.sendable > 0 && !scheduled && (
            <Checkbox checked={allowPartial} onChange={(e) => setAllowPartial(e.target.checked)}>
              {t("broadcasts.compose.allow_partial", { count: estimate.sendable })}
            </Checkbox>
          )}
          {estimate && <p className="small muted">{localized(estimate.audience_note, i18n.language)}</p>}

          <fieldset>
            <legend>{t("broadcasts.compose.when")}</legend>
            <Radio.Group className="when" name="when" value={when} onChange={(e) => setWhen(e.target.value as typeof when)}>
              <Radio value="now">{t("broadcasts.compose.now")}</Radio>
              <Radio value="later">{t("broadcasts.compose.later")}</Radio>
            </Radio.Group>
            {scheduled && (
              <label className="field">
                {t("broadcasts.compose.at", { tz: access.workspace.timezone })}
                {/* The time typed or picked is the workspace's local time. */}
                <DateTimeField value={localTime} onChange={setLocalTime} />
              </label>
            )}
          </fieldset>

          <Problems items={shownProblems.other} label={t("broadcasts.compose.problems")} />
          {submitError && (
            <p className="error" role="alert">
              {submitError}
            </p>
          )}
          {block && <p className="error small">{t(`broadcasts.compose.block.${block}`)}</p>}
          <Space wrap>
            <Button
              type="primary"
              htmlType="submit"
              loading={submitting}
              disabled={!canSend || !name.trim() || block !== null || !audienceReady(audience)}
            >
              {scheduled ? t("broadcasts.compose.schedule") : t("broadcasts.compose.send_now")}
            </Button>
            <Button onClick={() => void saveDraft()} loading={draftState.saving} disabled={!canSend}>
              {t("broadcasts.compose.save_draft")}
            </Button>
          </Space>
          {(draftState.saved || draftState.error) && (
            <p className={draftState.error ? "error small" : "ok small"} role="status">
              {draftState.error ?? t("broadcasts.compose.draft_saved")}
            </p>
          )}
          <ConfirmSend
            open={confirming}
            name={name.trim()}
            estimate={estimate}
            scheduledLocal={scheduled ? scheduledAt(localTime) : null}
            timezone={access.workspace.timezone}
            allowPartial={allowPartial}
            messageCount={messages.length}
            sending={submitting}
            onConfirm={() => void submit()}
            onCancel={() => setConfirming(false)}
          >
            <ExamplePreview
              workspaceId={ws}
              path={declaredPreviewPath(types.values())}
              messages={messages}
              friendId={exampleFriend?.friend_id ?? null}
              accountName={access.workspace.name}
            />
          </ConfirmSend>

          <details className="test-send">
            <summary>{t("broadcasts.compose.test")}</summary>
            <div className="field">
              <label htmlFor="broadcast-test-to">{t("broadcasts.compose.test_to")}</label>
              <RecipientPicker workspaceId={ws} id="broadcast-test-to" value={testTo} onChange={setTestTo} />
            </div>
            <Button onClick={() => void testSend()} disabled={!canSend}>
              {t("broadcasts.compose.test_send")}
            </Button>
            {testResult && (
              <p className={testResult.ok ? "ok small" : "error small"} role="status">
                {testResult.text}
              </p>
            )}
          </details>
        </aside>
      </form>
    </div>
  );
}

function EstimateBox({
  estimate,
  loading,
  error,
  ready,
  onRefresh,
}: {
  estimate: Estimate | null;
  loading: boolean;
  error: string | null;
  ready: boolean;
  onRefresh?: () => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const [refreshing, setRefreshing] = useState(false);
  const n = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toLocaleString(i18n.language));
  if (!ready) return <p className="muted">{t("broadcasts.compose.audience_incomplete")}</p>;
  return (
    <section className="estimate" aria-label={t("broadcasts.compose.estimate")} aria-busy={loading}>
      <p className="estimate-count" role="status" aria-live="polite">
        {estimate ? t("broadcasts.compose.recipients", { count: estimate.recipients, n: n(estimate.recipients) }) : loading ? t("common.loading") : "—"}
      </p>
      {error && !estimate && <p className="error small">{error}</p>}
      {estimate && (
        <dl className="estimate-details small">
          <dt>{t("broadcasts.compose.delivery")}</dt>
          <dd>{t(`broadcasts.delivery.${estimate.delivery}`)}</dd>
          <dt>{t("broadcasts.compose.quota_left")}</dt>
          <dd>
            {estimate.quota.type === "none" ? t("broadcasts.compose.unlimited") : n(estimate.quota.remaining)}
            {estimate.quota.stale && ` (${t("broadcasts.compose.stale")})`}
          </dd>
          <dt>{t("broadcasts.compose.plan_left", { plan: localized(estimate.plan.name, i18n.language) })}</dt>
          <dd>{estimate.plan.monthly_messages === null ? t("broadcasts.compose.unlimited") : n(estimate.plan.remaining)}</dd>
        </dl>
      )}
      {estimate && estimate.warnings.length > 0 && (
        <ul className={estimate.fits ? "warnings small" : "errors small"} aria-label={t("broadcasts.compose.warnings")}>
          {estimate.warnings.map((w) => (
            <li key={w.code}>{localized(w.message, i18n.language)}</li>
          ))}
        </ul>
      )}
      {estimate && onRefresh && (
        <Button
          size="small"
          loading={refreshing}
          onClick={() => {
            setRefreshing(true);
            void onRefresh().finally(() => setRefreshing(false));
          }}
        >
          {t("broadcasts.compose.refresh_quota")}
        </Button>
      )}
    </section>
  );
}
