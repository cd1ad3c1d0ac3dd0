/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { sharedShims } from "./scripts/shared-shims.js";

// `npm run dev` serves the UI with hot reload and passes the API, the emulator and the webhooks on to the
// Enishi server (ENISHI_DEV_SERVER, by default the one `./scripts/demo` starts).
const backend = process.env.ENISHI_DEV_SERVER ?? "http://127.0.0.1:8000";

export default defineConfig({
  // sharedShims: dist/shared/<name>.js, the console's libraries as plugins' UI modules import them.
  plugins: [react(), sharedShims()],
  // Plugins' module sources (and their tests) live outside this folder and use the console's copies.
  resolve: {
    dedupe: ["react", "react-dom", "react-i18next", "i18next", "@enishi/plugin-ui", "@testing-library/react", "antd"],
  },
  server: {
    proxy: { "/api": backend, "/emulator": backend, "/schema": backend, "/ui": backend },
    // Plugins' module sources (plugins/*/ui) are read by the tests beside them.
    fs: { allow: [".", "../plugins"] },
  },
  build: {
    outDir: "dist",
    chunkSizeWarningLimit: 2000,
    // ENISHI_UI_ONE_BUNDLE=1: the whole console in one script, as it was before it was split per area; only
    // bench/console_first_load.py builds it, to measure the split against it.
    rollupOptions: process.env.ENISHI_UI_ONE_BUNDLE === "1" ? { output: { inlineDynamicImports: true } } : {},
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    // Plugins' console modules are tested with the console's libraries, beside their sources.
    include: ["{src,scripts,packages}/**/*.test.{ts,tsx,js}", "../plugins/*/ui/src/**/*.test.{ts,tsx}"],
  },
});
