// The agents' console: sign-in, presence, and live events applied to the queue and the open
// chat in place. It uses only the service's public API (/api/v1, documented at /docs).
import { renderAdmin } from "./admin.js";
import { alertAgent, showTitle } from "./alerts.js";
import { api, attempt, onUnauthorized } from "./api.js";
import { addMessage, openHandoff, renderDetail, renderNoChat, showTyping, updateDetail } from "./chat.js";
import { addNote } from "./context.js";
import { byId, el } from "./dom.js";
import { applyToDocument, browserLanguage, fmt, loadTexts, t, texts } from "./i18n.js";
import { renderInbox } from "./inbox.js";
import { nowChanged, renderReports } from "./reports.js";
import { connectLive, disconnectLive } from "./live.js";
import { openPasswordChange, renderReset } from "./password.js";
import { refreshQueue, renderQueue, tickWaitingTimes, updateQueue } from "./queue.js";
import { state } from "./state.js";

const app = byId("app");

function languageSelect(id) {
  return el("select", { id, onchange: (event) => setLanguage(event.target.value) },
    Object.entries(texts).map(([code, language]) =>
      el("option", { value: code, lang: code, selected: code === state.language }, language.name)));
}

function setLanguage(language) {
  state.language = language;
  localStorage.setItem("console-language", language);
  applyToDocument();
  showTitle();
  if (!state.me) renderLogin();
  else if (state.view === "inbox") renderTrainer();
  else if (state.view === "reports") renderReportsView();
  else if (state.view === "admin") renderAdminView();
  else renderMain();
}

function renderLogin() {
  const words = t();
  const form = el("form", { class: "login", onsubmit: (event) => { event.preventDefault(); signIn(form); } },
    el("h1", {}, words.title),
    el("label", { for: "login-email" }, words.email),
    el("input", { id: "login-email", name: "email", type: "email", autocomplete: "username", required: true, dir: "ltr" }),
    el("label", { for: "login-password" }, words.password),
    el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    el("label", { for: "login-language" }, words.language), languageSelect("login-language"),
    el("button", { type: "submit" }, words.signIn),
    el("p", { id: "error", role: "alert" }));
  app.replaceChildren(form);
  form.querySelector("input").focus();
}

async function signIn(form) {
  try {
    const token = await api("POST", "/auth/login", { email: form.email.value, password: form.password.value });
    state.token = token.access_token;
    sessionStorage.setItem("console-token", state.token);
    await start();
  } catch (error) {
    byId("error").textContent = signInError(error);
  }
}

function signInError(error) {
  const errors = t().errors;
  if (error.status === 429) {
    const minutes = Math.max(1, Math.ceil((error.retryAfter || 60) / 60));
    return fmt(errors.tooMany, { minutes }, minutes);
  }
  return { 401: errors.login, 403: errors.deactivated }[error.status] || errors.other;
}

// Signing out revokes the token on the service, so a copy of it no longer works either.
function signOut() {
  if (state.token) api("POST", "/auth/logout").catch(() => {});
  state.token = null; state.me = null; state.detail = null;
  sessionStorage.removeItem("console-token");
  disconnectLive();
  renderLogin();
}

async function start() {
  state.me = await api("GET", "/agents/me");
  if (state.me.role === "trainer") {  // trainers work on the bot's data, never on chats
    renderTrainer();
    return;
  }
  [state.teams, state.colleagues, state.settings] = await Promise.all(
    [api("GET", "/teams"), api("GET", "/agents"), api("GET", "/console/settings")]);
  connectLive(onEvent);
  renderMain();
  await refreshQueue();
}

// A chat newly the agent's, or their customer writing, while they look elsewhere.
function alertFor(event) {
  if (event.type === "handoff.assigned" && event.agent_id === state.me.id && event.handoff) {
    alertAgent("assigned", event.handoff);
  } else if (event.type === "message.created" && event.message && event.message.sender === "customer") {
    const handoff = state.handoffs.find((h) => h.id === event.handoff_id);
    if (handoff && handoff.agent_id === state.me.id) alertAgent("message", handoff);
  }
}

// Each event carries what changed, so the queue and the open chat change in place.
function onEvent(event) {
  alertFor(event);
  if (state.view === "reports") nowChanged(event);
  const open = state.detail && state.detail.id === event.handoff_id;
  if (event.type === "customer.typing") {
    if (open) showTyping();
  } else if (event.type === "agent.presence") {
    if (event.agent_id === state.me.id) {
      state.me.presence = event.presence;
      const select = byId("presence");
      if (select) select.value = event.presence;
    }
  } else if (event.type === "handoff.moved" || event.attachment) {
    if (event.handoff) updateQueue(event.handoff);
    if (open) openHandoff(event.handoff_id);  // the switch, or a photo, in its place
  } else if (event.message) {
    addMessage(event.message);
  } else if (event.note) {
    if (open) addNote(event.note);
  } else if (event.handoff) {
    updateQueue(event.handoff);
    const extra = {};
    if (event.rating) extra.rating = event.rating;
    if (event.slots) extra.context = Object.assign({}, state.detail && state.detail.context, { slots: event.slots });
    if (open) updateDetail(event.handoff, extra);
  } else {
    refreshQueue();  // an event this console does not know: read the queue again
    if (open) openHandoff(event.handoff_id);
  }
}

// A page beside the queue: the console's bar (with the way back to the queue where `back`), an
// error line, and the page's own main element.
function page(view, id, back) {
  const words = t();
  state.view = view;
  const main = el("main", { id });
  app.replaceChildren(
    el("header", { class: "topbar" },
      el("h1", {}, words.title), el("span", { class: "me" }, state.me.name),
      el("label", { for: "console-language" }, words.language), languageSelect("console-language"),
      back ? el("button", { type: "button", onclick: () => { state.view = "queue"; renderMain(); } }, words.queue) : null,
      el("button", { type: "button", onclick: openPasswordChange }, words.passwords.change),
      el("button", { type: "button", onclick: signOut }, words.signOut)),
    el("p", { id: "error", role: "alert" }), main);
  return main;
}

// The trainers' page (admins reach it from the console's bar): the inbox of what the bot missed.
function renderTrainer() {
  renderInbox(page("inbox", "trainer", state.me.role === "admin"));
}

// Supervisors and admins: the reports.
const RUNS_THE_TEAM = new Set(["supervisor", "admin"]);

function renderReportsView() {
  renderReports(page("reports", "reports", true));
}

function renderAdminView() {
  const main = page("admin", "admin", true);
  attempt(() => renderAdmin(main));
}

function renderMain() {
  const words = t();
  state.view = "queue";
  const presence = el("select", { id: "presence", onchange: (event) => attempt(async () => {
    state.me = await api("PUT", "/agents/me/presence", { presence: event.target.value });
  }) }, ["online", "away", "offline"].map((p) => el("option", { value: p, selected: p === state.me.presence }, words[p])));
  app.replaceChildren(
    el("header", { class: "topbar" },
      el("h1", {}, words.title), el("span", { class: "me" }, state.me.name),
      el("label", { for: "presence" }, words.presence), presence,
      el("label", { for: "console-language" }, words.language), languageSelect("console-language"),
      state.me.role === "admin" ? el("button", { type: "button", id: "open-inbox", onclick: renderTrainer }, words.inbox.title) : null,
      RUNS_THE_TEAM.has(state.me.role) ? el("button", { type: "button", id: "open-reports", onclick: renderReportsView }, words.reports.title) : null,
      state.me.role === "admin" ? el("button", { type: "button", id: "open-admin", onclick: renderAdminView }, words.admin.title) : null,
      el("button", { type: "button", onclick: openPasswordChange }, words.passwords.change),
      el("button", { type: "button", onclick: signOut }, words.signOut)),
    el("p", { id: "error", role: "alert" }),
    el("div", { class: "columns" },
      el("section", { id: "queue", "aria-labelledby": "queue-title" }, el("h2", { id: "queue-title" }, words.queue), el("ul", { id: "queue-list" })),
      el("section", { id: "chat", "aria-labelledby": "chat-title" }),
      el("aside", { id: "context", "aria-labelledby": "context-title" })));
  renderQueue();
  if (state.detail) renderDetail(); else renderNoChat();
}

await loadTexts();
state.language = state.language && texts[state.language] ? state.language : browserLanguage();
onUnauthorized(signOut);
setInterval(tickWaitingTimes, 1000);
// A desktop notification clicked: its chat opens.
window.addEventListener("open-handoff", (event) => { if (state.me) openHandoff(event.detail); });
applyToDocument();
// An admin's password reset hands the owner /console/#reset=<token>.
const reset = location.hash.startsWith("#reset=") ? location.hash.slice("#reset=".length) : null;
if (reset) {
  renderReset(app, reset, (message) => {
    history.replaceState(null, "", location.pathname);
    renderLogin();
    byId("error").textContent = message;
  });
} else if (state.token) start().catch(() => signOut()); else renderLogin();
