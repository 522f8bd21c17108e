// What the console knows: the agent, their queue, the open conversation, and the live socket.
export const state = {
  token: sessionStorage.getItem("console-token"),
  language: localStorage.getItem("console-language"),
  me: null, handoffs: [], detail: null, canned: [], colleagues: [], teams: [],
  socket: null, typingTimer: null, lastTyping: 0, saved: null,
  view: "queue", inboxLanguage: null, intents: [],
  settings: { assign_timeout_seconds: null },  // GET /console/settings
};
