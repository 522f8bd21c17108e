// Passwords: an agent changes their own (their other sessions end), and the owner of an account
// an admin reset sets a new one from the link the admin handed over (/console/#reset=<token>).
import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { fmt, t } from "./i18n.js";

const MIN_LENGTH = 8;

function field(id, label, autocomplete) {
  return [el("label", { for: id }, label),
    el("input", { id, type: "password", autocomplete, required: true })];  // the length is checked below, in the console's language
}

// The two new passwords, or the reason they cannot be used.
function chosen(form) {
  const words = t().passwords;
  if (form.elements["new-password"].value.length < MIN_LENGTH) return { error: fmt(words.short, { n: MIN_LENGTH }) };
  if (form.elements["new-password"].value !== form.elements["repeat-password"].value) return { error: words.differ };
  return { password: form.elements["new-password"].value };
}

export function openPasswordChange() {
  const words = t().passwords;
  const status = el("p", { id: "password-status", role: "status" });
  const dialog = el("dialog", { id: "password-dialog", "aria-labelledby": "password-title" });
  const form = el("form", { class: "password", onsubmit: async (event) => {
    event.preventDefault();
    const { password, error } = chosen(form);
    if (error) { status.textContent = error; return; }
    try {
      await api("PUT", "/agents/me/password", { current_password: form.elements["current-password"].value, new_password: password });
      status.textContent = words.changed;
      form.reset();
    } catch (failure) {
      status.textContent = failure.status === 403 ? words.wrongCurrent
        : failure.status === 429 ? words.tooMany : t().errors.other;
    }
  } },
  el("h2", { id: "password-title" }, words.change),
  field("current-password", words.current, "current-password"),
  field("new-password", words.new, "new-password"),
  field("repeat-password", words.repeat, "new-password"),
  el("button", { type: "submit" }, words.save),
  el("button", { type: "button", onclick: () => dialog.close() }, words.close),
  status);
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// The reset link's form; `done(message)` shows the sign-in page with that message.
export function renderReset(app, token, done) {
  const words = t().passwords;
  const status = el("p", { id: "error", role: "alert" });
  const form = el("form", { class: "login", onsubmit: async (event) => {
    event.preventDefault();
    const { password, error } = chosen(form);
    if (error) { status.textContent = error; return; }
    try {
      await api("POST", "/auth/reset", { token, new_password: password });
      done(words.resetDone);
    } catch (failure) {
      status.textContent = failure.status === 400 ? words.resetInvalid : t().errors.other;
    }
  } },
  el("h1", {}, words.set),
  field("new-password", words.new, "new-password"),
  field("repeat-password", words.repeat, "new-password"),
  el("button", { type: "submit" }, words.save),
  status);
  app.replaceChildren(form);
  byId("new-password").focus();
}
