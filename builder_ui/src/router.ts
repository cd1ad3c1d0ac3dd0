// The console moves on React Router (a data router over the History API; the server answers index.html for
// every console path). Pages link with <Link>/<NavLink> and move with useNavigate(); `navigate` is for code
// outside React components (a plugin's module), on the router main.tsx started.
import type { createBrowserRouter } from "react-router";

type ConsoleRouter = ReturnType<typeof createBrowserRouter>;
let started: ConsoleRouter | null = null;

/** main.tsx hands the console's router over once it is made. */
export function setConsoleRouter(router: ConsoleRouter): void {
  started = router;
}

/** Moves the console to `path` from outside a component (inside one, use React Router's useNavigate). */
export function navigate(path: string, replace = false): void {
  if (!started) throw new Error("the console's router has not started");
  void started.navigate(path, { replace });
}
