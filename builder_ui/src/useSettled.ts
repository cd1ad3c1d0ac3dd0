import { useEffect, useState } from "react";

/** `value` once it has stopped changing for `delayMs` (the first value at once): what a search or a count is
 * asked for while someone types. */
export function useSettled<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (Object.is(settled, value)) return;
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [settled, value, delayMs]);
  return settled;
}
