import { afterEach } from "vitest";
import "../i18n";
import { queryClient } from "../query";

// jsdom has no ResizeObserver (React Flow measures nodes with it).
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= ResizeObserverStub;

// One query client serves the console (src/query.ts): each test starts with nothing read, and a failed read
// shows at once (the retry policy has its own test in src/query.test.ts).
queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
afterEach(() => queryClient.clear());
