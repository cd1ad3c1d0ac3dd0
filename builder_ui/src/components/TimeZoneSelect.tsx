// A time zone picked from the IANA zones the browser knows (Intl), searchable by name or offset
// ("Tokyo", "+09:00"), each shown with its current offset from UTC.
import { Select } from "antd";
import { useMemo } from "react";

function zoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

/** "UTC+09:00" for Asia/Tokyo now; "" where the browser cannot say. */
export function zoneOffset(zone: string, at = new Date()): string {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value;
    return part === "GMT" ? "UTC+00:00" : (part ?? "").replace("GMT", "UTC");
  } catch {
    return "";
  }
}

export function TimeZoneSelect({
  id,
  value,
  onChange,
  status,
  label,
  placeholder,
}: {
  id?: string;
  value: string;
  /** "" when an optional zone is cleared. */
  onChange: (zone: string) => void;
  status?: "error";
  label?: string;
  /** Shown while empty; with it, the zone may be cleared (left to the default). */
  placeholder?: string;
}) {
  const options = useMemo(() => {
    const names = zoneNames();
    const all = [...new Set([...(value ? [value] : []), "UTC", ...names])].sort();
    return all.map((zone) => {
      const offset = zoneOffset(zone);
      return { value: zone, label: offset ? `${zone} (${offset})` : zone };
    });
  }, [value]);
  return (
    <Select
      id={id}
      aria-label={label}
      showSearch
      status={status}
      placeholder={placeholder}
      allowClear={placeholder !== undefined}
      value={value || undefined}
      options={options}
      optionFilterProp="label"
      filterOption={(input, option) => String(option?.label ?? "").toLowerCase().includes(input.toLowerCase())}
      onChange={(zone: string | undefined) => onChange(zone ?? "")}
      style={{ minWidth: 260 }}
    />
  );
}
