// Client routes on the History API (the server answers index.html for them).
import { useEffect, useState } from "react";

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return path;
}

export type Route =
  | { name: "login" }
  | { name: "home" }
  | { name: "scenarios"; workspaceId: number }
  | { name: "scenario"; workspaceId: number; scenarioId: number }
  // A console area (console/sections.ts): /w/{id}/{section}/{rest…}
  | { name: "section"; workspaceId: number; section: string; rest: string[] }
  | { name: "agency" }
  | { name: "not_found" };

export function parseRoute(path: string): Route {
  if (path === "/login") return { name: "login" };
  if (path === "/" || path === "") return { name: "home" };
  let m = path.match(/^\/w\/(\d+)\/scenarios\/?$/);
  if (m) return { name: "scenarios", workspaceId: Number(m[1]) };
  m = path.match(/^\/w\/(\d+)\/scenarios\/(\d+)\/?$/);
  if (m) return { name: "scenario", workspaceId: Number(m[1]), scenarioId: Number(m[2]) };
  m = path.match(/^\/w\/(\d+)\/([a-z_]+)((?:\/[^/]+)*)\/?$/);
  if (m) {
    const rest = m[3] ? m[3].slice(1).split("/").map(decodeURIComponent) : [];
    return { name: "section", workspaceId: Number(m[1]), section: m[2], rest };
  }
  if (path === "/agency" || path === "/agency/") return { name: "agency" };
  m = path.match(/^\/w\/(\d+)\/?$/);
  if (m) return { name: "scenarios", workspaceId: Number(m[1]) };
  return { name: "not_found" };
}
