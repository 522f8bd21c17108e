// The customer chat widget. One tag embeds it:
//   <script src="https://support.example.com/widget/widget.js"
//           data-socket-url="https://bot.example.com" async></script>
// A shop whose customer is signed in adds data-identifier (the user's id or email) and
// data-identifier-hash (hex HMAC-SHA256 of it with the widget secret, computed by the shop's
// backend): the service then recognises the same person on every channel (README).
// It talks to Rasa's socket.io channel (session persistence on), keeps the conversation in
// localStorage across reloads and reconnects, and hears "the agent is typing" from the handoff
// service (the script's own origin, or data-service-url).
(function () {
  "use strict";
  const script = document.currentScript;
  const base = new URL(".", script.src).href;
  const socketUrl = script.dataset.socketUrl || "http://127.0.0.1:5005";
  const serviceUrl = script.dataset.serviceUrl || new URL(script.src).origin;
  const storageKey = "support-widget:" + socketUrl;
  const identity = script.dataset.identifier && script.dataset.identifierHash
    ? { identifier: script.dataset.identifier, identifier_hash: script.dataset.identifierHash } : null;
  const LANGUAGES = ["en", "fa", "ar", "he"];
  const RATE_PAYLOAD = "/rate_service";
  const HUMAN_PAYLOAD = "/human_handoff";

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attributes);
      element.onload = resolve;
      element.onerror = () => reject(new Error("cannot load " + (attributes.src || attributes.href)));
      document.head.appendChild(element);
    });
  }

  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "class") element.className = value;
      else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value);
    }
    for (const child of children) if (child != null) element.append(child);
    return element;
  }

  class Widget {
    constructor() {
      const saved = JSON.parse(localStorage.getItem(storageKey) || "{}");
      const browser = (navigator.language || "en").slice(0, 2);
      this.state = Object.assign({
        sessionId: null, messages: [], status: null, open: true,
        language: script.dataset.language || (window.SupportWidgetTexts[browser] ? browser : "en"),
      }, saved);
      this.typingTimer = null;
      this.lastTypingSent = 0;
      // Rasa takes a socket's messages only for the session it confirmed to that socket, so
      // what is sent before the (re)connected socket's confirmation waits here.
      this.confirmed = false;
      this.pending = [];
      this.render();
      this.connect();
    }

    get t() { return window.SupportWidgetTexts[this.state.language]; }

    // A text with a count has one form per plural category of the language (CLDR, as
    // Intl.PluralRules gives them): Arabic says 1, 2, 3-10 and 11-99 minutes differently.
    text(key, values, count) {
      const number = new Intl.NumberFormat(this.state.language);
      let template = this.t[key];
      if (typeof template === "object") {
        template = template[new Intl.PluralRules(this.state.language).select(count)] || template.other;
      }
      return template.replace(/\{(\w+)\}/g, (_, name) => {
        const value = (values || {})[name];
        return typeof value === "number" ? number.format(value) : (value == null ? "" : value);
      });
    }

    save() { localStorage.setItem(storageKey, JSON.stringify(this.state)); }

    // --- connection -------------------------------------------------------------------------
    connect() {
      this.socket = io(socketUrl, { transports: ["websocket"] });
      this.socket.on("connect", () => {
        this.setOffline(false);
        this.socket.emit("session_request", { session_id: this.state.sessionId });
      });
      this.socket.on("disconnect", () => { this.confirmed = false; this.setOffline(true); });
      this.socket.on("session_confirm", (id) => {
        const fresh = id !== this.state.sessionId && this.state.messages.length === 0;
        this.state.sessionId = id;
        this.save();
        this.confirmed = true;
        for (const message of this.pending.splice(0)) this.emitMessage(message);
        this.listenToService();
        if (fresh) this.send("/greet", null);
      });
      this.socket.on("bot_uttered", (message) => this.received(message));
    }

    listenToService() {
      if (this.live) this.live.close();
      const url = new URL("/api/v1/widget/live", serviceUrl);
      url.protocol = url.protocol.replace("http", "ws");
      this.live = new WebSocket(url);
      // the session id is the conversation's secret: in the first frame, never in the URL
      this.live.onopen = () => {
        this.live.send(JSON.stringify({ type: "hello", conversation_id: this.state.sessionId }));
        this.live.send(JSON.stringify({ type: "sync", after: this.state.lastAgentMessage || 0 }));
      };
      this.live.onmessage = (event) => {
        const update = JSON.parse(event.data);
        if (update.type === "agent.typing") this.showTyping(this.text("agentTyping", { agent: this.agentName() }), 4000);
        if (update.type === "missed") this.caughtUp(update.messages);
      };
      this.live.onclose = () => setTimeout(() => this.state.sessionId && this.listenToService(), 3000);
    }

    // Rasa reads "/intent{...}" payloads without the NLU pipeline, so the chosen language travels
    // as an entity of the payload (typed text is detected per message, with this as a hint).
    withLanguage(payload) {
      const match = /^(\/[\w-]+)(\{.*\})?$/s.exec(payload);
      if (!match) return payload;
      const entities = Object.assign({ language: this.state.language }, match[2] ? JSON.parse(match[2]) : {});
      return match[1] + JSON.stringify(entities);
    }

    send(payload, shown) {
      if (shown != null) this.add({ sender: "customer", text: shown });
      const message = {
        message: this.withLanguage(payload),
        // `shown`: what the customer saw on a button, for the agent's transcript
        metadata: Object.assign({ language: this.state.language }, shown != null && payload !== shown ? { shown } : {},
          identity ? { identity } : {}),
      };
      if (this.confirmed) this.emitMessage(message);
      else this.pending.push(message);
      if (!this.state.status) this.showTyping(this.t.botTyping, 10000);  // paused bots don't answer
    }

    emitMessage(message) {
      this.socket.emit("user_uttered", Object.assign({ session_id: this.state.sessionId }, message));
    }

    received(message) {
      if (message.handoff) return this.setStatus(message.handoff);
      if (message.agent_message) return this.fromAgent(message.agent_message);
      this.hideTyping();
      const replies = message.quick_replies || [];
      if (message.text || replies.length) this.add({ sender: "bot", text: message.text || "", replies: replies });
    }

    // The service sends who wrote the text just received, and its id; a text already caught up
    // through the service (after a reconnect) is not shown twice.
    fromAgent(meta) {
      const last = this.state.messages[this.state.messages.length - 1];
      if (this.state.messages.some((m) => m.id === meta.id)) {
        if (last && last.id === undefined && last.sender === "bot") this.state.messages.pop();
      } else if (last && last.sender === "bot") {
        Object.assign(last, { sender: "agent", name: meta.agent, id: meta.id });
      }
      this.state.lastAgentMessage = Math.max(this.state.lastAgentMessage || 0, meta.id);
      this.save();
      this.renderLog();
    }

    caughtUp(messages) {
      for (const m of messages) {
        if (this.state.messages.some((known) => known.id === m.id)) continue;
        this.state.messages.push({ at: Date.now(), sender: "agent", name: m.agent, text: m.text, id: m.id });
        this.state.lastAgentMessage = Math.max(this.state.lastAgentMessage || 0, m.id);
      }
      this.save();
      this.renderLog();
    }

    // --- state --------------------------------------------------------------------------------
    add(message) {
      this.state.messages.forEach((m) => { delete m.replies; });
      this.state.messages.push(Object.assign({ at: Date.now() }, message));
      this.state.messages = this.state.messages.slice(-200);
      this.save();
      this.renderLog();
    }

    setStatus(status) {
      this.state.status = status.status === "resolved" ? null : status;
      this.save();
      this.renderStatus();
    }

    agentName() { return (this.state.status && this.state.status.agent) || ""; }

    setOffline(offline) { this.offline.hidden = !offline; }

    // --- rendering ----------------------------------------------------------------------------
    render() {
      const t = this.t;
      this.host && this.host.remove();
      // The host follows the page's direction; the panel inside follows the customer's language.
      this.host = el("div", { class: "sw-host" });
      this.launcher = el("button", { class: "sw-launcher", type: "button", "aria-expanded": String(this.state.open),
        onclick: () => this.toggle(true) }, t.open);
      this.log = el("div", { class: "sw-log", role: "log", "aria-live": "polite", "aria-label": t.log, tabindex: "0" });
      this.statusBar = el("div", { class: "sw-status", role: "status", "aria-live": "polite" });
      this.typing = el("div", { class: "sw-typing", "aria-live": "polite", hidden: "" });
      this.offline = el("div", { class: "sw-offline", role: "alert", hidden: "" }, t.offline);
      const languages = el("select", { id: "sw-language", class: "sw-language",
        onchange: (event) => this.setLanguage(event.target.value) });
      for (const [code, texts] of Object.entries(window.SupportWidgetTexts)) {
        const option = el("option", { value: code, lang: code }, texts.name);
        if (code === this.state.language) option.selected = true;
        languages.append(option);
      }
      this.input = el("textarea", { id: "sw-input", rows: "1", placeholder: t.placeholder,
        maxlength: "4000", onkeydown: (event) => this.keydown(event), oninput: () => this.customerTyping() });
      const form = el("form", { class: "sw-composer", onsubmit: (event) => { event.preventDefault(); this.submit(); } },
        el("label", { for: "sw-input", class: "sw-hidden" }, t.message), this.input,
        el("button", { type: "submit", class: "sw-send" }, t.send));
      this.root = el("section", { class: "sw-panel", dir: t.dir, lang: this.state.language,
        "aria-label": t.title },
        el("header", { class: "sw-header" },
          el("h2", {}, t.title),
          el("label", { for: "sw-language", class: "sw-hidden" }, t.language), languages,
          el("button", { type: "button", class: "sw-close", "aria-label": t.close, onclick: () => this.toggle(false) }, "×")),
        this.statusBar, this.offline, this.log, this.typing,
        el("button", { type: "button", class: "sw-human", onclick: () => this.send(HUMAN_PAYLOAD, t.humanSaid) }, t.human),
        form);
      this.host.append(this.launcher, this.root);
      document.body.append(this.host);
      this.toggle(this.state.open);
      this.renderStatus();
      this.renderLog();
    }

    toggle(open) {
      this.state.open = open;
      this.save();
      this.root.hidden = !open;
      this.launcher.hidden = open;
      this.launcher.setAttribute("aria-expanded", String(open));
      (open ? this.input : this.launcher).focus();
    }

    setLanguage(language) {
      this.state.language = language;
      this.save();
      this.render();
    }

    renderStatus() {
      const status = this.state.status;
      this.statusBar.replaceChildren();
      this.statusBar.hidden = !status;
      if (!status) return;
      let line;
      if (status.status === "assigned") line = this.text("assigned", { agent: status.agent });
      else if (status.availability === "closed") line = this.text("closed", status);
      else if (status.availability === "no_agents" || status.expected_wait_minutes == null) line = this.text("noAgents", status);
      else line = this.text("queued", status, status.expected_wait_minutes);
      this.statusBar.append(el("p", { class: "sw-status-line" }, line),
        el("p", { class: "sw-reference" }, this.text("reference", status)));
    }

    renderLog() {
      this.log.replaceChildren();
      for (const message of this.state.messages) {
        const bubble = el("div", { class: "sw-message sw-" + message.sender },
          message.name ? el("span", { class: "sw-name" }, message.name) : null,
          el("span", { dir: "auto" }, message.text));
        this.log.append(bubble);
        if (message.replies && message.replies.length) this.log.append(this.replies(message.replies));
      }
      this.log.scrollTop = this.log.scrollHeight;
    }

    replies(replies) {
      if (replies.every((reply) => reply.payload.startsWith(RATE_PAYLOAD))) return this.ratingForm();
      const group = el("div", { class: "sw-replies", role: "group" });
      for (const reply of replies) {
        group.append(el("button", { type: "button", class: "sw-reply", dir: "auto",
          onclick: () => this.send(reply.payload, reply.title) }, reply.title));
      }
      return group;
    }

    ratingForm() {
      const t = this.t;
      const stars = el("div", { class: "sw-stars" });
      for (let n = 1; n <= 5; n++) {
        const id = "sw-star-" + n;
        stars.append(el("input", { type: "radio", name: "sw-rating", id: id, value: String(n), required: "" }),
          el("label", { for: id, title: this.text("star", { n: n }) },
            el("span", { "aria-hidden": "true" }, "★"), el("span", { class: "sw-hidden" }, this.text("star", { n: n }))));
      }
      const comment = el("textarea", { id: "sw-comment", rows: "2", maxlength: "2000" });
      return el("form", { class: "sw-rating", onsubmit: (event) => {
        event.preventDefault();
        const chosen = stars.querySelector("input:checked");
        if (!chosen) return;
        const score = Number(chosen.value);
        const payload = { rating: score };
        if (comment.value.trim()) payload.rating_comment = comment.value.trim();
        this.send(RATE_PAYLOAD + JSON.stringify(payload), this.text("rated", { n: score }));
      } },
      el("fieldset", {}, el("legend", {}, t.rateLegend), stars),
      el("label", { for: "sw-comment" }, t.comment), comment,
      el("button", { type: "submit", class: "sw-send" }, t.rate));
    }

    showTyping(text, ms) {
      this.typing.textContent = text;
      this.typing.hidden = false;
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => this.hideTyping(), ms);
    }

    hideTyping() { this.typing.hidden = true; clearTimeout(this.typingTimer); }

    // --- input --------------------------------------------------------------------------------
    keydown(event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); this.submit(); }
    }

    submit() {
      const text = this.input.value.trim();
      if (!text || !this.state.sessionId) return;
      this.input.value = "";
      this.send(text, text);
    }

    customerTyping() {
      const now = Date.now();
      if (!this.state.status || now - this.lastTypingSent < 2000) return;
      this.lastTypingSent = now;
      if (this.live && this.live.readyState === WebSocket.OPEN) this.live.send(JSON.stringify({ type: "typing" }));
    }
  }

  // One file of texts per language (i18n/<language>.json), served with CORS like the script.
  async function loadTexts() {
    const texts = await Promise.all(LANGUAGES.map(async (language) => {
      const response = await fetch(base + "i18n/" + language + ".json");
      if (!response.ok) throw new Error("cannot load the " + language + " texts");
      return [language, await response.json()];
    }));
    window.SupportWidgetTexts = Object.fromEntries(texts);
  }

  Promise.all([
    load("script", { src: base + "socket.io.min.js" }),
    loadTexts(),
    load("link", { rel: "stylesheet", href: base + "widget.css" }),
  ]).then(() => { window.supportWidget = new Widget(); })
    .catch((error) => console.error("support widget:", error));
})();
