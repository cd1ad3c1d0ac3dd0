// Ant Design's Table draws its own <table>: these give it its accessible name.
import { useMemo } from "react";

/** The Table's `components` whose <table> is called `label`; the same object while the label holds (rc-table
 * takes a new function for a new component and would redraw the whole table, losing focus and open forms). */
export function useNamedTable(label: string) {
  return useMemo(() => ({ table: (props: object) => <table {...props} aria-label={label} /> }), [label]);
}
