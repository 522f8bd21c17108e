// The service's public API (/api/v1, documented at /docs), and its errors in the agent's language.
import { byId } from "./dom.js";
import { t } from "./i18n.js";
import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, retryAfter) {
    super("HTTP " + status); this.status = status; this.retryAfter = retryAfter;
  }
}

let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

export async function api(method, path, body) {
  const response = await fetch("/api/v1" + path, {
    method, headers: Object.assign({ "Content-Type": "application/json" },
      state.token ? { Authorization: "Bearer " + state.token } : {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && state.token) unauthorized();
  if (!response.ok) throw new ApiError(response.status, Number(response.headers.get("Retry-After")));
  return response.status === 204 ? null : response.json();
}

// A photo the customer sent: fetched with the agent's token, shown from a local object URL.
export async function imageUrl(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) throw new ApiError(response.status);
  return URL.createObjectURL(await response.blob());
}

export function showError(error) {
  const errors = t().errors;
  const banner = byId("error");
  if (banner) banner.textContent = errors[error.status] || errors.other;
}

export async function attempt(action) {
  try { await action(); } catch (error) { showError(error); }
}
