// The agents' console: login, presence, the queue, the live chat and the bot's context.
// It uses only the service's public API (/api/v1, documented at /docs) and its live feed.
(async function () {
  "use strict";
  const LANGUAGES = ["en", "fa", "ar", "he"];
  const RTL = new Set(["fa", "ar", "he"]);
  // One file of texts per language (i18n/<language>.json).
  window.ConsoleTexts = Object.fromEntries(await Promise.all(LANGUAGES.map(async (language) =>
    [language, await (await fetch("i18n/" + language + ".json")).json()])));
  const app = document.getElementById("app");
  const state = {
    token: sessionStorage.getItem("console-token"),
    language: localStorage.getItem("console-language") || pickLanguage(),
    me: null, handoffs: [], detail: null, canned: [], colleagues: [], teams: [],
    socket: null, typingTimer: null, lastTyping: 0, saved: null,
  };

  function pickLanguage() {
    const browser = (navigator.language || "en").slice(0, 2);
    return window.ConsoleTexts[browser] ? browser : "en";
  }

  const t = () => window.ConsoleTexts[state.language];

  function fmt(template, values) {
    const number = new Intl.NumberFormat(state.language);
    return template.replace(/\{(\w+)\}/g, (_, key) => {
      const value = values[key];
      return typeof value === "number" ? number.format(value) : (value == null ? "" : String(value));
    });
  }

  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value == null || value === false) continue;
      if (key === "class") element.className = value;
      else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) if (child != null) element.append(child);
    return element;
  }

  // --- API ------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status) { super("HTTP " + status); this.status = status; }
  }

  async function api(method, path, body) {
    const response = await fetch("/api/v1" + path, {
      method, headers: Object.assign({ "Content-Type": "application/json" },
        state.token ? { Authorization: "Bearer " + state.token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && state.token) signOut();
    if (!response.ok) throw new ApiError(response.status);
    return response.json();
  }

  function showError(error) {
    const errors = t().errors;
    const banner = document.getElementById("error");
    if (banner) banner.textContent = errors[error.status] || errors.other;
  }

  async function attempt(action) {
    try { await action(); } catch (error) { showError(error); }
  }

  // --- login ----------------------------------------------------------------------------------
  function languageSelect(id) {
    return el("select", { id, onchange: (event) => setLanguage(event.target.value) },
      Object.entries(window.ConsoleTexts).map(([code, texts]) =>
        el("option", { value: code, lang: code, selected: code === state.language }, texts.name)));
  }

  function setLanguage(language) {
    state.language = language;
    localStorage.setItem("console-language", language);
    document.documentElement.lang = language;
    document.documentElement.dir = t().dir;
    document.title = t().title;
    state.me ? renderMain() : renderLogin();
  }

  function renderLogin() {
    const texts = t();
    const form = el("form", { class: "login", onsubmit: (event) => { event.preventDefault(); signIn(form); } },
      el("h1", {}, texts.title),
      el("label", { for: "login-email" }, texts.email),
      el("input", { id: "login-email", name: "email", type: "email", autocomplete: "username", required: true, dir: "ltr" }),
      el("label", { for: "login-password" }, texts.password),
      el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true }),
      el("label", { for: "login-language" }, texts.language), languageSelect("login-language"),
      el("button", { type: "submit" }, texts.signIn),
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
      document.getElementById("error").textContent = error.status === 401 ? t().errors.login : t().errors.other;
    }
  }

  function signOut() {
    state.token = null; state.me = null; state.detail = null;
    sessionStorage.removeItem("console-token");
    if (state.socket) { state.socket.onclose = null; state.socket.close(); }
    renderLogin();
  }

  async function start() {
    state.me = await api("GET", "/agents/me");
    [state.teams, state.colleagues] = await Promise.all([api("GET", "/teams"), api("GET", "/agents")]);
    connectLive();
    renderMain();
    await refreshQueue();
  }

  // --- live feed ------------------------------------------------------------------------------
  function connectLive() {
    const url = new URL("/api/v1/live", location.href);
    url.protocol = url.protocol.replace("http", "ws");
    url.searchParams.set("token", state.token);
    const socket = new WebSocket(url);
    state.socket = socket;
    const heartbeat = setInterval(() => socket.readyState === 1 && socket.send("ping"), 20000);
    socket.onmessage = (event) => onEvent(JSON.parse(event.data));
    socket.onclose = () => { clearInterval(heartbeat); if (state.token) setTimeout(connectLive, 2000); };
  }

  function onEvent(event) {
    const selected = state.detail && state.detail.id === event.handoff_id;
    if (event.type === "customer.typing") {
      if (selected) showTyping();
      return;
    }
    if (event.type === "agent.presence" && event.agent_id === state.me.id) {
      state.me.presence = event.presence;
      const select = document.getElementById("presence");
      if (select) select.value = event.presence;
      return;
    }
    refreshQueue();
    if (selected) openHandoff(event.handoff_id);
  }

  function showTyping() {
    const line = document.getElementById("customer-typing");
    if (!line) return;
    line.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { line.hidden = true; }, 4000);
  }

  function agentTyping() {
    const now = Date.now();
    if (now - state.lastTyping < 2000 || !state.socket || state.socket.readyState !== 1) return;
    state.lastTyping = now;
    state.socket.send(JSON.stringify({ type: "typing", handoff_id: state.detail.id }));
  }

  // --- layout ---------------------------------------------------------------------------------
  function renderMain() {
    const texts = t();
    const presence = el("select", { id: "presence", onchange: (event) => attempt(async () => {
      state.me = await api("PUT", "/agents/me/presence", { presence: event.target.value });
    }) }, ["online", "away", "offline"].map((p) => el("option", { value: p, selected: p === state.me.presence }, texts[p])));
    app.replaceChildren(
      el("header", { class: "topbar" },
        el("h1", {}, texts.title), el("span", { class: "me" }, state.me.name),
        el("label", { for: "presence" }, texts.presence), presence,
        el("label", { for: "console-language" }, texts.language), languageSelect("console-language"),
        el("button", { type: "button", onclick: signOut }, texts.signOut)),
      el("p", { id: "error", role: "alert" }),
      el("div", { class: "columns" },
        el("section", { id: "queue", "aria-labelledby": "queue-title" }, el("h2", { id: "queue-title" }, texts.queue), el("ul", { id: "queue-list" })),
        el("section", { id: "chat", "aria-labelledby": "chat-title" }, el("h2", { id: "chat-title" }, texts.chat), el("p", {}, texts.pick)),
        el("aside", { id: "context", "aria-labelledby": "context-title" }, el("h2", { id: "context-title" }, texts.context))));
    renderQueue();
    if (state.detail) renderDetail();
  }

  async function refreshQueue() {
    try { state.handoffs = await api("GET", "/handoffs?status=open"); } catch (error) { return showError(error); }
    renderQueue();
  }

  function waited(seconds) {
    const minutes = Math.floor(seconds / 60);
    const number = new Intl.NumberFormat(state.language, { minimumIntegerDigits: 2 });
    return number.format(minutes) + ":" + number.format(Math.floor(seconds % 60));
  }

  function renderQueue() {
    const list = document.getElementById("queue-list");
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
          el("span", {}, h.channel), el("span", {}, texts[h.reason] || h.reason),
          el("span", {}, fmt(texts.priority, { n: h.priority })), el("span", {}, texts[h.status] || h.status)),
        mine ? el("button", { type: "button", onclick: () => openHandoff(h.id) }, texts.open)
          : el("button", { type: "button", onclick: () => claim(h.id) }, texts.claim));
    }));
    if (!state.handoffs.length) list.append(el("li", { class: "empty" }, texts.empty));
  }

  async function claim(id) {
    await attempt(async () => {
      await api("POST", "/handoffs/" + id + "/claim");
      await refreshQueue();
      await openHandoff(id);
    });
  }

  async function openHandoff(id) {
    await attempt(async () => {
      const detail = await api("GET", "/handoffs/" + id);
      if (!state.detail || state.detail.language !== detail.language || !state.canned.length) {
        state.canned = await api("GET", "/canned-responses?language=" + detail.language);
      }
      state.detail = detail;
      renderDetail();
      renderQueue();
    });
  }

  // --- the conversation -----------------------------------------------------------------------
  function line(sender, text, time) {
    const texts = t();
    return el("li", { class: "line from-" + sender },
      el("span", { class: "who" }, texts[sender] || sender),
      el("span", { class: "text", dir: "auto" }, text),
      time ? el("time", { dir: t().dir, datetime: new Date(time * 1000).toISOString() },
        new Date(time * 1000).toLocaleTimeString(state.language, { hour: "2-digit", minute: "2-digit" })) : null);
  }

  function renderDetail() {
    const chat = document.getElementById("chat");
    if (!chat) return;
    const texts = t();
    const d = state.detail;
    const mine = d.status === "assigned" && d.agent_id === state.me.id;
    const conversationDir = RTL.has(d.language) ? "rtl" : "ltr";
    const transcript = el("ol", { id: "transcript", class: "transcript", dir: conversationDir, lang: d.language },
      d.context.transcript.map((entry) => line(entry.sender, entry.text, entry.timestamp)),
      d.messages.map((m) => line(m.sender, m.text, m.created_at)));
    const parts = [el("h2", { id: "chat-title" }, texts.chat + " " + d.reference),
      transcript, el("p", { id: "customer-typing", class: "typing", hidden: true }, texts.customerTyping)];
    if (mine) parts.push(composer(d), actions(d));
    // Live updates re-render the chat: what the agent was writing, and where, stays.
    const drafts = ["reply", "note"].map((id) => document.getElementById(id)).filter(Boolean)
      .map((field) => [field.id, field.value, document.activeElement === field]);
    chat.replaceChildren(...parts);
    transcript.scrollTop = transcript.scrollHeight;
    renderContext();
    for (const [id, value, focused] of drafts) {
      const field = document.getElementById(id);
      if (!field) continue;
      field.value = value;
      if (focused) field.focus();
    }
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
        await api("POST", "/handoffs/" + d.id + "/messages", { text });
        input.value = "";
        await openHandoff(d.id);
      });
    } },
    el("label", { for: "reply" }, texts.message), input,
    el("div", { class: "row" },
      el("label", { for: "canned" }, texts.canned), canned,
      el("button", { type: "button", onclick: () => { input.value = canned.value; input.focus(); } }, texts.insert),
      el("button", { type: "submit", class: "primary" }, texts.send)));
    return form;
  }

  function actions(d) {
    const texts = t();
    const targets = el("select", { id: "transfer-target" },
      state.colleagues.filter((a) => a.id !== state.me.id).map((a) => el("option", { value: "agent:" + a.id }, fmt(texts.toAgent, { name: a.name }))),
      state.teams.map((team) => el("option", { value: "team:" + team.name }, fmt(texts.toTeam, { name: team.name }))));
    return el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: () => attempt(async () => {
        await api("POST", "/handoffs/" + d.id + "/resolve");
        await openHandoff(d.id);
        await refreshQueue();
      }) }, texts.resolve),
      el("button", { type: "button", onclick: () => attempt(async () => {
        await api("POST", "/handoffs/" + d.id + "/release");
        state.detail = null; renderMain(); await refreshQueue();
      }) }, texts.release),
      el("label", { for: "transfer-target" }, texts.transferTo), targets,
      el("button", { type: "button", onclick: () => attempt(async () => {
        const [kind, value] = targets.value.split(/:(.*)/s);
        await api("POST", "/handoffs/" + d.id + "/transfer", kind === "agent" ? { agent_id: Number(value) } : { team: value });
        state.detail = null; renderMain(); await refreshQueue();
      }) }, texts.transfer));
  }

  // --- the context panel ----------------------------------------------------------------------
  function renderContext() {
    const panel = document.getElementById("context");
    const texts = t();
    const d = state.detail;
    const c = d.context;
    const mine = d.status === "assigned" && d.agent_id === state.me.id;
    const number = new Intl.NumberFormat(state.language, { style: "percent" });
    panel.replaceChildren(
      el("h2", { id: "context-title" }, texts.context),
      el("dl", {},
        el("dt", {}, texts.summary), el("dd", { dir: "auto", id: "summary" }, d.summary),
        el("dt", {}, texts.reason), el("dd", {}, texts[d.reason] || d.reason),
        el("dt", {}, texts.form), el("dd", {}, c.active_form || texts.none)),
      el("h3", {}, texts.slots), slotList(c.slots || {}, mine),
      el("h3", {}, texts.intents),
      el("ol", { class: "intents" }, (c.last_intents || []).map((i) =>
        el("li", {}, el("code", {}, i.name), " ", number.format(i.confidence)))),
      el("h3", {}, texts.contact),
      el("dl", {}, Object.entries(c.contact || {}).filter(([, v]) => v && v.length !== 0).map(([k, v]) =>
        [el("dt", {}, k), el("dd", { dir: "auto" }, Array.isArray(v) ? v.join(", ") : v)])),
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

  function slotList(slots, editable) {
    const texts = t();
    return el("ul", { class: "slots" }, Object.entries(slots).map(([name, value]) => {
      const id = "slot-" + name;
      const scalar = value === null || typeof value !== "object";
      const canEdit = editable && scalar;
      const input = el("input", { id, value: scalar ? String(value) : JSON.stringify(value), dir: "auto", readonly: !canEdit, "data-slot": name });
      const saved = state.saved === state.detail.id + ":" + name;
      return el("li", {}, el("label", { for: id }, name), input,
        canEdit ? el("button", { type: "button", "data-save": name, onclick: () => attempt(async () => {
          await api("PUT", "/handoffs/" + state.detail.id + "/slots/" + encodeURIComponent(name), { value: input.value });
          state.saved = state.detail.id + ":" + name;
          await openHandoff(state.detail.id);
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
        await api("POST", "/handoffs/" + d.id + "/notes", { text: input.value.trim() });
        input.value = "";
        await openHandoff(d.id);
      });
    } }, el("label", { for: "note" }, texts.note), input, el("button", { type: "submit" }, texts.addNote));
  }

  // Waiting times tick in place, so focus and keyboard position in the queue stay put.
  setInterval(() => {
    const now = Date.now() / 1000;
    for (const span of document.querySelectorAll(".waiting[data-since]")) {
      span.textContent = fmt(t().waiting, { time: waited(now - Number(span.dataset.since)) });
    }
  }, 1000);
  document.documentElement.lang = state.language;
  document.documentElement.dir = t().dir;
  document.title = t().title;
  if (state.token) start().catch(() => signOut()); else renderLogin();
})();
