/** The plugin's name: its i18n namespace and the first part of its routes. */
export const PLUGIN = "notes";
