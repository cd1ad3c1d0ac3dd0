// Pages link and move with React Router and draw Ant Design's components: in a test they are drawn in the
// console's theme, inside a router over jsdom's history (so a test reads where a page went from window.location).
import { StyleProvider } from "@ant-design/cssinjs";
import type { ReactNode } from "react";
import { BrowserRouter } from "react-router";
import { ConsoleTheme } from "../theme";

/** Ant Design's style sheets go into a node of their own, off the page: jsdom matches each of their rules on
 * every role query (twenty times slower), and none of them hides what a test looks for. */
export function OffPageStyles({ children }: { children: ReactNode }) {
  return <StyleProvider container={document.createElement("div")}>{children}</StyleProvider>;
}

function InConsole({ children }: { children: ReactNode }) {
  return (
    <OffPageStyles>
      <ConsoleTheme>
        <BrowserRouter>{children}</BrowserRouter>
      </ConsoleTheme>
    </OffPageStyles>
  );
}

/** render(ui, inConsole): `ui` inside the console's router, in its theme. */
export const inConsole = { wrapper: InConsole };
