// Pages link and move with React Router: in a test they are drawn inside a router over jsdom's history (so a
// test reads where a page went from window.location).
import type { ReactNode } from "react";
import { BrowserRouter } from "react-router";

function InConsole({ children }: { children: ReactNode }) {
  return <BrowserRouter>{children}</BrowserRouter>;
}

/** render(ui, inConsole): `ui` inside the console's router. */
export const inConsole = { wrapper: InConsole };
