import { configure } from "@testing-library/dom";
import { afterEach } from "vitest";
import "../i18n";
import { queryClient } from "../query";

// What a test waits for (findBy…, waitFor) may take longer than testing-library's one second when the machine's
// two cores also run the other test files and the browser tests: a wait ends when the text shows, not at a time.
configure({ asyncUtilTimeout: 5000 });

// jsdom has no ResizeObserver (React Flow measures nodes with it).
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= ResizeObserverStub;

// jsdom has no matchMedia (Ant Design's responsive parts ask it): no media query matches there.
// (Some test files run in Node, with no window at all.)
if (typeof window !== "undefined") {
  window.matchMedia ??= (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// One query client serves the console (src/query.ts): each test starts with nothing read, and a failed read
// shows at once (the retry policy has its own test in src/query.test.ts).
queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
afterEach(() => queryClient.clear());
