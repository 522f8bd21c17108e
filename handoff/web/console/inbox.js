// The trainers' inbox: what the bot did not understand, grouped by meaning, masked; each group
// is assigned to an intent, marked out of scope or ignored, and the change to data/nlu is shown.
import { api, attempt } from "./api.js";
import { byId, el } from "./dom.js";
import { LANGUAGES, fmt, t, texts } from "./i18n.js";
import { state } from "./state.js";
import { trainingPanel } from "./training.js";


export async function renderInbox(root) {
  state.inboxLanguage = state.inboxLanguage || state.language;
  const words = t().inbox;
  const tabs = el("nav", { class: "tabs", "aria-label": words.languages },
    LANGUAGES.map((code) => el("button", {
      type: "button", lang: code, "aria-pressed": String(code === state.inboxLanguage),
      onclick: () => { state.inboxLanguage = code; renderInbox(root); },
    }, texts[code].name)));
  const list = el("section", { id: "inbox", "aria-live": "polite" });
  root.replaceChildren(el("h2", {}, words.title), tabs,
    el("div", { class: "inbox-tools" },
      el("button", { type: "button", id: "validate", onclick: validate }, words.validate),
      el("pre", { id: "validation", dir: "ltr", hidden: true })),
    el("div", { id: "written", hidden: true }), list, trainingPanel());
  await attempt(async () => {
    const inbox = await api("GET", "/inbox?language=" + state.inboxLanguage);
    state.intents = inbox.intents;
    list.replaceChildren(...(inbox.groups.length
      ? inbox.groups.map((group, index) => groupCard(group, index, root))
      : [el("p", { class: "empty" }, words.empty)]));
  });
}

function groupCard(group, index, root) {
  const words = t().inbox;
  const id = "group-" + index;
  const intent = el("input", { id: id + "-intent", list: id + "-intents", dir: "ltr",
    value: likeliest(group), "aria-label": words.intent });
  const decide = (decision) => attempt(async () => {
    const ids = [...byId(id).querySelectorAll("input[type=checkbox]:checked")].map((box) => Number(box.value));
    if (!ids.length) return;
    const body = { ids, decision };
    if (decision === "intent") body.intent = intent.value.trim();
    const result = await api("POST", "/inbox/decisions", body);
    await renderInbox(root);
    showWritten(result);
  });
  return el("article", { id, class: "group" },
    el("h3", {}, fmt(words.messages, { count: group.count }, group.count)),
    el("ul", {}, group.messages.map((message) => el("li", {},
      el("label", {},
        el("input", { type: "checkbox", value: message.id, checked: true }),
        el("bdi", { class: "said", dir: "auto" }, message.text)),
      el("span", { class: "why" }, message.reasons.map((reason) => words.reasons[reason] || reason).join(" · ")),
      message.intent && message.confidence > 0 ? el("span", { class: "guess", dir: "ltr" },
        fmt(words.guess, { intent: message.intent, confidence: Math.round(100 * (message.confidence || 0)) })) : null,
      el("button", { type: "button", class: "link", onclick: () => showConversation(message, id) }, words.conversation)))),
    el("div", { class: "decide" },
      el("datalist", { id: id + "-intents" }, (state.intents || []).map((name) => el("option", { value: name }))),
      intent,
      el("button", { type: "button", class: "primary", onclick: () => decide("intent") }, words.assign),
      el("button", { type: "button", onclick: () => decide("out_of_scope") }, words.outOfScope),
      el("button", { type: "button", onclick: () => decide("ignore") }, words.ignore)),
    el("ol", { class: "conversation", hidden: true }));
}

// The intent the bot most often guessed for the group: a starting point, never a decision (a
// guess the unknown-words guard zeroed is no guess).
function likeliest(group) {
  const counts = {};
  for (const message of group.messages) {
    if (message.intent && message.confidence > 0) counts[message.intent] = (counts[message.intent] || 0) + 1;
  }
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([name]) => name)[0] || "";
}

async function showConversation(message, id) {
  const words = t();
  await attempt(async () => {
    const lines = await api("GET", "/inbox/" + message.id + "/conversation");
    const list = byId(id).querySelector(".conversation");
    list.replaceChildren(...lines.map((line) => el("li", { class: line.sender + (line.this ? " this" : "") },
      el("span", { class: "who" }, words[line.sender]), " ", el("bdi", { dir: "auto" }, line.text))));
    list.hidden = false;
  });
}

function showWritten(result) {
  const words = t().inbox;
  const box = byId("written");
  box.replaceChildren(...result.written.map((written) => el("div", {},
    el("p", {}, [
      fmt(words.added, { count: written.added.length, intent: written.intent }, written.added.length),
      written.already_there.length ? fmt(words.alreadyThere, { count: written.already_there.length }, written.already_there.length) : null,
      written.held_out.length ? fmt(words.heldOut, { count: written.held_out.length }, written.held_out.length) : null,
      written.unusable.length ? fmt(words.unusable, { count: written.unusable.length }, written.unusable.length) : null,
    ].filter(Boolean).join(" ")),
    written.diff ? el("pre", { class: "diff", dir: "ltr" }, written.diff) : null)));
  if (!result.written.length) box.replaceChildren(el("p", {}, fmt(words.decided, { count: result.decided }, result.decided)));
  box.hidden = false;
}

async function validate() {
  const words = t().inbox;
  const out = byId("validation");
  out.hidden = false;
  out.textContent = words.validating;
  await attempt(async () => {
    const result = await api("POST", "/inbox/validate");
    out.textContent = (result.ok ? words.valid : words.invalid) + (result.output ? "\n" + result.output : "");
  });
}

