// The queue: the waiting chats of the agent's teams and the agent's own, in serving order.
import { api, attempt, showError } from "./api.js";
import { openHandoff } from "./chat.js";
import { byId, el } from "./dom.js";
import { channelName, fmt, t } from "./i18n.js";
import { state } from "./state.js";

const WAITING = new Set(["queued", "transferred"]);

export async function refreshQueue() {
  try { state.handoffs = await api("GET", "/handoffs?status=open"); } catch (error) { return showError(error); }
  renderQueue();
}

// Whether a handoff belongs in the agent's open list, as the service's `?status=open` decides.
function belongs(handoff) {
  if (handoff.status === "assigned") return handoff.agent_id === state.me.id;
  return WAITING.has(handoff.status) && state.me.teams.some((team) => team.id === handoff.team_id);
}

function servingOrder(a, b) {
  return b.priority - a.priority || a.created_at - b.created_at || a.id - b.id;
}

// A live event's copy of a handoff replaces the queue's, in place.
export function updateQueue(handoff) {
  state.handoffs = state.handoffs.filter((h) => h.id !== handoff.id);
  if (belongs(handoff)) state.handoffs = [...state.handoffs, handoff].sort(servingOrder);
  renderQueue();
}

export function waited(seconds) {
  const minutes = Math.floor(seconds / 60);
  const number = new Intl.NumberFormat(state.language, { minimumIntegerDigits: 2 });
  return number.format(minutes) + ":" + number.format(Math.floor(seconds % 60));
}

export function renderQueue() {
  const list = byId("queue-list");
  if (!list) return;
  const texts = t();
  const now = Date.now() / 1000;
  list.replaceChildren(...state.handoffs.map((h) => {
    const mine = h.status === "assigned" && h.agent_id === state.me.id;
    return el("li", { class: "ticket" + (state.detail && state.detail.id === h.id ? " selected" : ""), "data-id": h.id },
      el("div", { class: "ticket-head" }, el("strong", {}, h.reference), el("span", { class: "badge lang-" + h.language, lang: h.language }, h.language.toUpperCase())),
      el("div", { dir: "auto", class: "ticket-summary" }, h.summary),
      el("div", { class: "ticket-meta" },
        el("span", { class: "waiting", "data-since": h.created_at }, fmt(texts.waiting, { time: waited(now - h.created_at) })),
        el("span", {}, channelName(h.channel)), el("span", {}, texts[h.reason] || h.reason),
        el("span", {}, fmt(texts.priority, { n: h.priority })), el("span", {}, texts[h.status] || h.status)),
      mine ? countdown(h, now) : null,
      mine ? el("button", { type: "button", onclick: () => openHandoff(h.id) }, texts.open)
        : el("button", { type: "button", onclick: () => claim(h.id) }, texts.claim));
  }));
  if (!state.handoffs.length) list.append(el("li", { class: "empty" }, texts.empty));
}

async function claim(id) {
  await attempt(async () => {
    updateQueue(await api("POST", "/handoffs/" + id + "/claim"));
    await openHandoff(id);
  });
}

// When an assigned chat nobody has answered yet goes back to the queue (the service's
// HANDOFF_ASSIGN_TIMEOUT_SECONDS after its assignment); null once answered.
function requeuedAt(handoff) {
  const timeout = state.settings.assign_timeout_seconds;
  if (handoff.status !== "assigned" || handoff.first_response_at || !handoff.assigned_at || !timeout) return null;
  return handoff.assigned_at + timeout;
}

// The countdown before an unanswered chat goes back to the queue, on its ticket and in the chat.
export function countdown(handoff, now) {
  const at = requeuedAt(handoff);
  if (at === null) return null;
  return el("span", { class: "countdown", role: "timer", "data-until": at },
    fmt(t().alerts.backToQueue, { time: waited(Math.max(0, at - now)) }));
}

// Waiting times and countdowns tick in place, so focus and keyboard position stay put.
export function tickWaitingTimes() {
  const now = Date.now() / 1000;
  for (const span of document.querySelectorAll(".waiting[data-since]")) {
    span.textContent = fmt(t().waiting, { time: waited(now - Number(span.dataset.since)) });
  }
  for (const span of document.querySelectorAll(".countdown[data-until]")) {
    const left = Math.max(0, Number(span.dataset.until) - now);
    span.textContent = fmt(t().alerts.backToQueue, { time: waited(left) });
    span.classList.toggle("urgent", left < 30);
  }
}
