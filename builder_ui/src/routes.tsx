// The console's routes (React Router): App draws the frame and each route's page goes into its <Outlet>.
import { lazy } from "react";
import type { RouteObject } from "react-router";
import { App, HomeRoute, NotFoundRoute, ScenarioRoute, ScenariosRoute, SectionRoute } from "./App";

const AgencyPage = lazy(() => import("./console/agency").then((m) => ({ default: m.AgencyPage })));

/** /login, /agency, and each workspace's areas: /w/{id}/scenarios[/{scenario}] and /w/{id}/{section}/{rest…}. */
export const consoleRoutes: RouteObject[] = [
  {
    path: "/",
    element: <App />,
    children: [
      { index: true, element: <HomeRoute /> },
      { path: "login", element: null },
      { path: "agency", element: <AgencyPage /> },
      {
        path: "w/:workspaceId",
        children: [
          { index: true, element: <ScenariosRoute /> },
          { path: "scenarios", element: <ScenariosRoute /> },
          { path: "scenarios/:scenarioId", element: <ScenarioRoute /> },
          { path: ":section/*", element: <SectionRoute /> },
        ],
      },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
];
