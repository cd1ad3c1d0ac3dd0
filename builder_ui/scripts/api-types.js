// `npm run api-types`: the server's OpenAPI document into src/openapi/openapi.json (`enishi openapi`: the core and
// the built-in plugins, sorted JSON) and its TypeScript types into src/openapi/schema.d.ts (openapi-typescript).
// Run it after changing a route or a request or response struct, and commit both files with the change; then
// `npm run typecheck` shows every place the console reads a shape that changed.
//
// `npm run build` does not run it: the build needs Node only (a wheel is built from the sdist without Enishi
// installed, hatch_build.py), and the committed files are the contract the console is checked against.
// tests/test_console_api_types.py fails when they differ from what the server answers, so a server change that
// was not carried over fails the tests, and one that breaks the console then fails the type check.
//
// Enishi's command comes from ENISHI_COMMAND, else the repository's .venv, else the PATH.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ui = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const venv = join(ui, "..", ".venv", process.platform === "win32" ? "Scripts/enishi.exe" : "bin/enishi");
const enishi = process.env.ENISHI_COMMAND || (existsSync(venv) ? venv : "enishi");
const document = join(ui, "src", "openapi", "openapi.json");
const types = join(ui, "src", "openapi", "schema.d.ts");
const generator = join(ui, "node_modules", "openapi-typescript", "bin", "cli.js");

execFileSync(enishi, ["openapi", document], { stdio: "inherit" });
execFileSync(process.execPath, [generator, document, "--output", types], { stdio: "inherit", cwd: ui });
