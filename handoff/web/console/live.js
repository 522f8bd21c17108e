// The live feed (/api/v1/live): events of the agent's teams, and typing both ways. The token
// goes in the first frame, never in the URL (logs and proxies keep URLs).
import { api } from "./api.js";
import { state } from "./state.js";

const SIGNED_OUT = 4401;  // the sign-in expired or was revoked

export function connectLive(onEvent) {
  const url = new URL("/api/v1/live", location.href);
  url.protocol = url.protocol.replace("http", "ws");
  const socket = new WebSocket(url);
  state.socket = socket;
  const heartbeat = setInterval(() => socket.readyState === 1 && socket.send("ping"), 20000);
  socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: state.token }));
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type !== "live.ready") onEvent(data);
  };
  socket.onclose = (event) => {
    clearInterval(heartbeat);
    // signed out elsewhere: the service's 401 to this call signs the console out too (api.js)
    if (event.code === SIGNED_OUT) api("GET", "/agents/me").catch(() => {});
    else if (state.token) setTimeout(() => connectLive(onEvent), 2000);
  };
}

export function disconnectLive() {
  if (state.socket) { state.socket.onclose = null; state.socket.close(); }
}

// "The agent is typing", at most every 2 s, for the open conversation.
export function agentTyping() {
  const now = Date.now();
  if (now - state.lastTyping < 2000 || !state.socket || state.socket.readyState !== 1) return;
  state.lastTyping = now;
  state.socket.send(JSON.stringify({ type: "typing", handoff_id: state.detail.id }));
}
