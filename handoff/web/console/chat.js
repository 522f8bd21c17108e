// The open conversation: the bot transcript, the live chat, the reply box and the actions.
import { api, attempt } from "./api.js";
import { photo, renderContext } from "./context.js";
import { byId, el, keepingDrafts } from "./dom.js";
import { RTL, channelName, fmt, t } from "./i18n.js";
import { agentTyping } from "./live.js";
import { countdown, refreshQueue, renderQueue, updateQueue } from "./queue.js";
import { state } from "./state.js";

export async function openHandoff(id) {
  await attempt(async () => {
    const detail = await api("GET", "/handoffs/" + id);
    // read each time: an admin's change reaches the next chat opened
    state.canned = await api("GET", "/canned-responses?language=" + detail.language);
    state.detail = detail;
    renderDetail();
    renderQueue();
  });
}

// A system line says where the chat went on: its text is the channel's name. An agent's
// message the customer's platform will never take says so, and why.
function line(sender, text, time, photos, undeliverable) {
  const texts = t();
  const shown = sender === "system" ? fmt(texts.movedTo, { channel: channelName(text) }) : text;
  return el("li", { class: "line from-" + sender },
    el("span", { class: "who" }, texts[sender] || sender),
    el("span", { class: "text", dir: "auto" }, shown),
    (photos || []).map((a) => el("span", { class: "photos" }, photo(a))),
    undeliverable ? el("span", { class: "undeliverable" }, fmt(texts.undeliverable,
      { reason: texts.undeliverableReasons[undeliverable] || undeliverable })) : null,
    time ? el("time", { dir: texts.dir, datetime: new Date(time * 1000).toISOString() },
      new Date(time * 1000).toLocaleTimeString(state.language, { hour: "2-digit", minute: "2-digit" })) : null);
}

export function renderDetail() {
  const chat = byId("chat");
  if (!chat || !state.detail) return;
  const texts = t();
  const d = state.detail;
  const mine = d.status === "assigned" && d.agent_id === state.me.id;
  const transcript = el("ol", { id: "transcript", class: "transcript", dir: RTL.has(d.language) ? "rtl" : "ltr", lang: d.language },
    d.context.transcript.map((entry) => line(entry.sender, entry.text, entry.timestamp)),
    d.messages.map((m) => line(m.sender, m.text, m.created_at,
      (d.attachments || []).filter((a) => a.message_id === m.id), m.undeliverable_reason)));
  const parts = [el("h2", { id: "chat-title" }, texts.chat + " " + d.reference + " · ",
    el("span", { id: "chat-channel" }, channelName(d.channel))),
    mine ? countdown(d, Date.now() / 1000) : null, transcript, el("p", { id: "customer-typing", class: "typing", hidden: true }, texts.customerTyping),
    undelivered(d)];
  if (mine) parts.push(composer(d), actions(d));
  keepingDrafts(["reply", "note"], () => {
    chat.replaceChildren(...parts.filter(Boolean));
    transcript.scrollTop = transcript.scrollHeight;
    renderContext();
  });
}

// After a resolve: which messages never reached the customer, and whether the bot's did.
function undelivered(d) {
  const texts = t();
  const count = (d.undeliverable_message_ids || []).length;
  if (d.status !== "resolved" || (!count && d.handback_delivered !== false)) return null;
  return el("p", { id: "undelivered", class: "undeliverable", role: "status" },
    count ? fmt(texts.resolvedUndelivered, { count }) : null,
    d.handback_delivered === false ? " " + texts.handbackUndelivered : null);
}

// The chat's first reply stops its countdown, in the queue and in the open chat.
function answered(handoffId, at) {
  const copies = [state.handoffs.find((h) => h.id === handoffId), state.detail && state.detail.id === handoffId ? state.detail : null];
  const first = copies.filter((h) => h && !h.first_response_at);
  if (!first.length) return;
  first.forEach((h) => { h.first_response_at = at; });
  renderQueue();
  for (const span of document.querySelectorAll("#chat .countdown")) span.remove();
}

// A message the live feed (or the agent's own send) brings is added to the open chat in place.
export function addMessage(message) {
  if (message.sender === "agent") answered(message.handoff_id, message.created_at);
  const d = state.detail;
  if (!d || d.id !== message.handoff_id) return;
  const known = d.messages.find((m) => m.id === message.id);
  if (known) {
    const undeliverable = message.undeliverable_reason && !known.undeliverable_reason;
    Object.assign(known, message);
    if (undeliverable) renderDetail();
    return;
  }
  d.messages.push(message);
  const transcript = byId("transcript");
  if (!transcript) return;
  transcript.append(line(message.sender, message.text, message.created_at, [], message.undeliverable_reason));
  transcript.scrollTop = transcript.scrollHeight;
}

// A live event's copy of the open handoff (its status, who has it) is taken over in place.
export function updateDetail(handoff, extra) {
  const d = state.detail;
  if (!d || d.id !== handoff.id) return;
  const before = d.status + ":" + d.agent_id;
  Object.assign(d, handoff, extra || {});
  if (before !== d.status + ":" + d.agent_id) renderDetail();
  else renderContext();
}

export function showTyping() {
  const typing = byId("customer-typing");
  if (!typing) return;
  typing.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => { typing.hidden = true; }, 4000);
}

function composer(d) {
  const texts = t();
  const input = el("textarea", { id: "reply", rows: 3, maxlength: 4000, dir: "auto", lang: d.language,
    oninput: agentTyping, onkeydown: (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    } });
  const canned = el("select", { id: "canned" }, state.canned.map((c) =>
    el("option", { value: c.text, lang: c.language, dir: "auto" }, c.key + " — " + c.text)));
  const form = el("form", { class: "composer", onsubmit: (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    attempt(async () => {
      addMessage(await api("POST", "/handoffs/" + d.id + "/messages", { text }));
      input.value = "";
    });
  } },
  el("label", { for: "reply" }, texts.message), input,
  el("div", { class: "row" },
    el("label", { for: "canned" }, texts.canned), canned,
    el("button", { type: "button", onclick: () => { input.value = canned.value; input.focus(); } }, texts.insert),
    el("button", { type: "submit", class: "primary" }, texts.send)));
  return form;
}

// No conversation open: the chat column asks to pick one.
export function renderNoChat() {
  const texts = t();
  byId("chat").replaceChildren(el("h2", { id: "chat-title" }, texts.chat), el("p", {}, texts.pick));
  byId("context").replaceChildren(el("h2", { id: "context-title" }, texts.context));
}

function leave(handoff) {
  state.detail = null;
  updateQueue(handoff);
  renderNoChat();
}

function actions(d) {
  const texts = t();
  const targets = el("select", { id: "transfer-target" },
    state.colleagues.filter((a) => a.id !== state.me.id).map((a) => el("option", { value: "agent:" + a.id }, fmt(texts.toAgent, { name: a.name }))),
    state.teams.map((team) => el("option", { value: "team:" + team.name }, fmt(texts.toTeam, { name: team.name }))));
  return el("div", { class: "actions" },
    el("button", { type: "button", class: "primary", onclick: () => attempt(async () => {
      const resolved = await api("POST", "/handoffs/" + d.id + "/resolve");
      updateQueue(resolved);
      updateDetail(resolved);
    }) }, texts.resolve),
    el("button", { type: "button", onclick: () => attempt(async () => {
      leave(await api("POST", "/handoffs/" + d.id + "/release"));
    }) }, texts.release),
    el("label", { for: "transfer-target" }, texts.transferTo), targets,
    el("button", { type: "button", onclick: () => attempt(async () => {
      const [kind, value] = targets.value.split(/:(.*)/s);
      leave(await api("POST", "/handoffs/" + d.id + "/transfer", kind === "agent" ? { agent_id: Number(value) } : { team: value }));
      await refreshQueue();
    }) }, texts.transfer));
}
