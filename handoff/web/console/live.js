// The live feed (/api/v1/live): events of the agent's teams, and typing both ways.
import { state } from "./state.js";

export function connectLive(onEvent) {
  const url = new URL("/api/v1/live", location.href);
  url.protocol = url.protocol.replace("http", "ws");
  url.searchParams.set("token", state.token);
  const socket = new WebSocket(url);
  state.socket = socket;
  const heartbeat = setInterval(() => socket.readyState === 1 && socket.send("ping"), 20000);
  socket.onmessage = (event) => onEvent(JSON.parse(event.data));
  socket.onclose = () => {
    clearInterval(heartbeat);
    if (state.token) setTimeout(() => connectLive(onEvent), 2000);
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
