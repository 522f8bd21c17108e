// The console's texts: one file per language (i18n/<language>.json), chosen at sign-in.
import { state } from "./state.js";

export const LANGUAGES = ["en", "fa", "ar", "he"];
export const RTL = new Set(["fa", "ar", "he"]);
export const texts = {};

export async function loadTexts() {
  await Promise.all(LANGUAGES.map(async (language) => {
    const response = await fetch("i18n/" + language + ".json");
    texts[language] = await response.json();
  }));
}

export const t = () => texts[state.language];

export function browserLanguage() {
  const browser = (navigator.language || "en").slice(0, 2);
  return texts[browser] ? browser : "en";
}

// Placeholders {name} filled, numbers written the language's way; a text with a count has one
// form per plural category (Intl.PluralRules), chosen by `count`.
export function fmt(template, values, count) {
  if (typeof template === "object") {
    template = template[new Intl.PluralRules(state.language).select(count)] || template.other;
  }
  const number = new Intl.NumberFormat(state.language);
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    const value = values[key];
    return typeof value === "number" ? number.format(value) : (value == null ? "" : String(value));
  });
}

export function applyToDocument() {
  document.documentElement.lang = state.language;
  document.documentElement.dir = t().dir;
  document.title = t().title;
}

// A channel as agents call it: "WhatsApp", "the website" (Rasa's names are "whatsapp", "socketio").
export function channelName(channel) {
  return (t().channels || {})[channel] || channel;
}
