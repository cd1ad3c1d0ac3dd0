// Times and dates as people pick them: Ant Design's pickers in the UI's language (a Japanese calendar first),
// over the plain strings the console keeps ("HH:mm", "YYYY-MM-DDTHH:mm"). A value typed in is taken when the
// field is left (no OK button to press).
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
