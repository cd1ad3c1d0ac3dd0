// Pages link and move with React Router and draw Ant Design's components: in a test they are drawn in the
// console's theme, inside a router over jsdom's history (so a test reads where a page went from window.location).
import type { ReactNode } from "react";
import { BrowserRouter } from "react-router";
import { ConsoleTheme } from "../theme";

function InConsole({ children }: { children: ReactNode }) {
  return (
    <ConsoleTheme>
      <BrowserRouter>{children}</BrowserRouter>
    </ConsoleTheme>
  );
}

/** render(ui, inConsole): `ui` inside the console's router. */
export const inConsole = { wrapper: InConsole };
