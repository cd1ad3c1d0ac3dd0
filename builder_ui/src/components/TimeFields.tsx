// Times and dates as people pick them: Ant Design's pickers in the UI's language (a Japanese calendar first),
// over the plain strings the console keeps ("HH:mm", "YYYY-MM-DDTHH:mm"). A value typed in is taken when the
// field is left (no OK button to press).
import type { WidgetProps } from "@rjsf/utils";
import { DatePicker, TimePicker } from "antd";
import dayjs from "dayjs";

const TIME = "HH:mm";
const LOCAL = "YYYY-MM-DDTHH:mm";

/** A time of day, "HH:mm"; a cleared field leaves the value as it was (a time is always set). */
export function TimeField({
  value,
  onChange,
  label,
  minuteStep = 1,
}: {
  value: string;
  onChange: (value: string) => void;
  label?: string;
  minuteStep?: 1 | 5 | 10 | 15 | 30;
}) {
  return (
    <TimePicker
      aria-label={label}
      format={TIME}
      minuteStep={minuteStep}
      needConfirm={false}
      allowClear={false}
      value={value ? dayjs(value, TIME) : null}
      onChange={(picked) => picked && onChange(picked.format(TIME))}
    />
  );
}

/** A local date and time, "YYYY-MM-DDTHH:mm", or "" when cleared. */
export function DateTimeField({
  value,
  onChange,
  label,
}: {
  value: string;
  onChange: (value: string) => void;
  label?: string;
}) {
  return (
    <DatePicker
      aria-label={label}
      showTime={{ format: TIME }}
      format="YYYY-MM-DD HH:mm"
      needConfirm={false}
      value={value ? dayjs(value) : null}
      onChange={(picked) => onChange(picked ? picked.format(LOCAL) : "")}
    />
  );
}

/** Whether a schema's string is a time of day: `format: "time"`, or a pattern taking "09:30" and "23:59" but
 * neither "24:00" nor "0930" (the "HH:MM" of quiet hours and send-at-time nodes). */
export function isTimeOfDay(schema: unknown): boolean {
  if (!schema || typeof schema !== "object") return false;
  const s = schema as { type?: unknown; format?: unknown; pattern?: unknown };
  if (s.format === "time") return true;
  if (s.type !== "string" || typeof s.pattern !== "string") return false;
  try {
    const re = new RegExp(s.pattern);
    return re.test("09:30") && re.test("23:59") && !re.test("24:00") && !re.test("0930");
  } catch {
    return false;
  }
}

/** The schema forms' time of day (RJSF widget "time"): the time picker over "HH:mm" ("HH:mm:ss" for
 * `format: "time"`); clearing an optional time leaves it out. */
export function TimeWidget({ id, value, onChange, onBlur, onFocus, disabled, readonly, schema, label, required }: WidgetProps) {
  const format = schema.format === "time" ? "HH:mm:ss" : TIME;
  return (
    <TimePicker
      id={id}
      aria-label={label}
      format={TIME}
      needConfirm={false}
      allowClear={!required}
      disabled={disabled || readonly}
      value={typeof value === "string" && value ? dayjs(value, format) : null}
      onChange={(picked) => onChange(picked ? picked.format(format) : undefined)}
      onBlur={() => onBlur(id, value)}
      onFocus={() => onFocus(id, value)}
    />
  );
}

/** uiSchema entries giving every time-of-day property of a schema the time picker (nested ones too). */
export function timeUi(schema: unknown, ui: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ui };
  const s = schema as { properties?: Record<string, unknown>; items?: unknown } | null;
  if (!s || typeof s !== "object") return out;
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const own = (out[name] && typeof out[name] === "object" ? out[name] : {}) as Record<string, unknown>;
    if (isTimeOfDay(prop) && !own["ui:widget"]) out[name] = { ...own, "ui:widget": "time" };
    else if (prop && typeof prop === "object") {
      const inner = timeUi(prop, own);
      if (Object.keys(inner).length) out[name] = inner;
    }
  }
  if (s.items && typeof s.items === "object") {
    const inner = timeUi(s.items, (out.items ?? {}) as Record<string, unknown>);
    if (Object.keys(inner).length) out.items = inner;
  }
  return out;
}
