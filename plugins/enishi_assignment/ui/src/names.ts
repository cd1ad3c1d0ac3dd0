/** The plugin's name: its i18n namespace and the first part of its routes and lookups. */
export const PLUGIN = "assignment";
