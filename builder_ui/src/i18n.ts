// Japanese first, English on request; every string of the UI lives in locales/*.json.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./locales/en.json";
import ja from "./locales/ja.json";

export const LANGUAGES = ["ja", "en"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = "enishi.language";

function savedLanguage(): Language {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "ja") return saved;
  } catch {
    // storage may be unavailable (private mode): the default it is
  }
  return "ja";
}

// Each console area keeps its own strings in console/<area>/locales/{ja,en}.json, under the key of its area
// (t("friends.title")), so that areas can grow without touching one shared file.
const areaFiles = import.meta.glob<{ default: Record<string, unknown> }>("./console/*/locales/*.json", {
  eager: true,
});
function withAreas(base: Record<string, unknown>, lang: string): Record<string, unknown> {
  const merged = { ...base };
  for (const [path, module] of Object.entries(areaFiles)) {
    const m = path.match(/^\.\/console\/([^/]+)\/locales\/([a-z]+)\.json$/);
    if (m && m[2] === lang) merged[m[1]] = module.default;
  }
  return merged;
}

void i18n.use(initReactI18next).init({
  resources: { ja: { translation: withAreas(ja, "ja") }, en: { translation: withAreas(en, "en") } },
  lng: savedLanguage(),
  fallbackLng: "ja",
  interpolation: { escapeValue: false },
});

export function setLanguage(lang: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not kept across visits then
  }
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

/** A server text in the current language: {ja, en} objects, or "日本語 / English" strings of the schemas. */
export function localized(value: unknown, lang: string): string {
  if (value && typeof value === "object") {
    const v = value as Record<string, string>;
    return (lang === "en" ? v.en : v.ja) || v.ja || v.en || "";
  }
  if (typeof value !== "string") return "";
  const parts = value.split(" / ");
  if (parts.length === 2) return lang === "en" ? parts[1] : parts[0];
  return value;
}

export default i18n;
