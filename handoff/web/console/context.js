// The context panel: what the bot collected, why the chat came, who the customer is, and notes.
import { api, attempt, imageUrl } from "./api.js";
import { byId, el } from "./dom.js";
import { fmt, t } from "./i18n.js";
import { state } from "./state.js";

export function renderContext() {
  const panel = byId("context");
  const d = state.detail;
  if (!panel || !d) return;
  const texts = t();
  const c = d.context;
  const mine = d.status === "assigned" && d.agent_id === state.me.id;
  const number = new Intl.NumberFormat(state.language, { style: "percent" });
  panel.replaceChildren(
    el("h2", { id: "context-title" }, texts.context),
    el("dl", {},
      el("dt", {}, texts.summary), el("dd", { dir: "auto", id: "summary" }, d.summary),
      el("dt", {}, texts.reason), el("dd", {}, texts[d.reason] || d.reason),
      el("dt", {}, texts.form), el("dd", {}, c.active_form ? named(texts.formNames, c.active_form) : texts.none)),
    el("h3", {}, texts.slots), slotList(c.slots || {}, mine),
    el("h3", {}, texts.intents),
    el("ol", { class: "intents" }, (c.last_intents || []).map((i) =>
      el("li", { "data-intent": i.name }, named(texts.intentNames, i.name), " ", number.format(i.confidence)))),
    el("h3", {}, texts.verified),
    el("dl", { id: "verified" }, (d.verified || []).map((i) =>
      [el("dt", {}, (texts.kinds || {})[i.kind] || i.kind), el("dd", { dir: "ltr" }, i.value)])),
    el("h3", {}, texts.stated),
    el("dl", { id: "stated" }, Object.entries(c.contact || {}).filter(([, v]) => v && v.length !== 0).map(([k, v]) =>
      [el("dt", {}, named(texts.slotNames, k)), el("dd", { dir: "auto" }, Array.isArray(v) ? v.join(", ") : v)])),
    ...((d.attachments || []).length ? [el("h3", {}, texts.photos), photoList(d.attachments)] : []),
    el("h3", {}, texts.history),
    d.history.length ? el("ul", { class: "history" }, d.history.map((h) =>
      el("li", {}, el("strong", {}, h.reference), " · ", h.channel, " · ", texts[h.status] || h.status, " · ",
        new Date(h.created_at * 1000).toLocaleDateString(state.language), el("div", { dir: "auto" }, h.summary))))
      : el("p", {}, texts.noHistory),
    d.rating ? el("p", { class: "rating" }, fmt(texts.rating, { score: d.rating.score }), " ",
      d.rating.comment ? el("q", { dir: "auto" }, d.rating.comment) : null) : "",
    el("h3", {}, texts.notes),
    el("ul", { class: "notes" }, d.notes.map((n) => el("li", { dir: "auto" }, n.text))),
    noteForm(d));
}

// A note the live feed (or the agent's own form) brings is added in place.
export function addNote(note) {
  const d = state.detail;
  if (!d || d.notes.some((n) => n.id === note.id)) return;
  d.notes.push(note);
  renderContext();
}

function photoList(attachments) {
  return el("ul", { class: "photos" }, attachments.map((a) => el("li", {}, photo(a))));
}

// One photo, fetched with the agent's token (the customer's own message shows it as well).
export function photo(attachment) {
  const texts = t();
  if (attachment.state !== "ready") {
    return el("span", {}, attachment.state === "failed" ? texts.photoFailed : texts.photoFetching);
  }
  const image = el("img", { alt: texts.photos, "data-attachment": attachment.id });
  imageUrl(attachment.url).then((url) => { image.src = url; }, () => { image.alt = texts.photoFailed; });
  return image;
}

// What the bot calls a slot, an intent or a form, as the agent's language calls it; the bot's own
// name (in the tooltip) where the console has no label for it yet (one a trainer just added).
function named(labels, name) {
  const label = (labels || {})[name];
  return label ? el("span", { title: name }, label) : el("code", {}, name);
}

function slotList(slots, editable) {
  const texts = t();
  return el("ul", { class: "slots" }, Object.entries(slots).map(([name, value]) => {
    const id = "slot-" + name;
    const scalar = value === null || typeof value !== "object";
    const canEdit = editable && scalar;
    const input = el("input", { id, value: scalar ? String(value) : JSON.stringify(value), dir: "auto", readonly: !canEdit, "data-slot": name });
    const saved = state.saved === state.detail.id + ":" + name;
    return el("li", {}, el("label", { for: id }, named(texts.slotNames, name)), input,
      canEdit ? el("button", { type: "button", "data-save": name, onclick: () => attempt(async () => {
        const corrected = await api("PUT", "/handoffs/" + state.detail.id + "/slots/" + encodeURIComponent(name), { value: input.value });
        state.saved = state.detail.id + ":" + name;
        state.detail.context = Object.assign({}, state.detail.context, { slots: corrected });
        renderContext();
      }) }, texts.save) : null,
      el("span", { class: "saved", role: "status" }, saved ? texts.saved : ""));
  }));
}

function noteForm(d) {
  const texts = t();
  const input = el("textarea", { id: "note", rows: 2, maxlength: 4000, dir: "auto" });
  return el("form", { class: "note-form", onsubmit: (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    attempt(async () => {
      addNote(await api("POST", "/handoffs/" + d.id + "/notes", { text: input.value.trim() }));
      input.value = "";
    });
  } }, el("label", { for: "note" }, texts.note), input, el("button", { type: "submit" }, texts.addNote));
}
