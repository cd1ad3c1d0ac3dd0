import React from "react";
import ReactDOM from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import "./i18n";
import { setConsoleRouter } from "./router";
import { consoleRoutes } from "./routes";
import { ConsoleTheme } from "./theme";

const router = createBrowserRouter(consoleRoutes);
setConsoleRouter(router);

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <ConsoleTheme>
      <RouterProvider router={router} />
    </ConsoleTheme>
  </React.StrictMode>,
);
