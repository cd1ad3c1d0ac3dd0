// Undo and redo over snapshots of the graph: `record` before a change, `undo` / `redo` swap the present.

export class History<T> {
  private past: T[] = [];
  private future: T[] = [];

  constructor(private readonly limit = 200) {}

  /** Call with the state as it is just before a change. */
  record(present: T): void {
    this.past.push(present);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }

  undo(present: T): T | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(present);
    return previous;
  }

  redo(present: T): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(present);
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }
}
