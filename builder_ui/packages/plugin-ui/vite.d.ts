import type { InlineConfig } from "vite";

/** The slot API this preset builds for (`EnishiUi.version`). */
export declare const SLOT_API_VERSION: 1;

/** Each shared module and the name of the console's shim that re-exports it (/ui/shared/<name>.js). */
export declare const SHARED_MODULES: Readonly<Record<string, string>>;

/** The names a module may import from "antd": the Ant Design components the console shares. */
export declare const ANTD_EXPORTS: readonly string[];

/** Where the console serves the shim of a shared module. */
export declare function sharedUrl(name: string): string;

export interface PluginModuleOptions {
  /** The file whose default export is `register(ui: EnishiUi)`. */
  entry: string;
  /** The single ES module written (e.g. "<plugin package>/ui/dist/module.js"). */
  outFile: string;
  /** Names the module's <style> element; by default the folder two levels above outFile. */
  name?: string;
  minify?: boolean;
}

/** The Vite config that builds a plugin's console module into one file. */
export declare function enishiPluginModule(options: PluginModuleOptions): InlineConfig;
