// Training from the trainers' page: a new model of the data as the decisions left it, its
// progress live, its report against the running model, and the trainer's promote or discard.
import { ApiError, api, attempt } from "./api.js";
import { byId, el } from "./dom.js";
import { RTL, fmt, t, texts } from "./i18n.js";
import { state } from "./state.js";

const POLL_MS = 1000;

// The panel's upper part is drawn anew as the run moves on; the report's frame sits below it
// and is left alone (moving a frame reloads it).
export function trainingPanel() {
  const status = el("div", { class: "run" });
  const slot = el("div", { class: "report-slot" });
  const panel = el("section", { id: "training", "aria-labelledby": "training-title" }, status, slot);
  refresh(panel, status, slot);
  return panel;
}

async function refresh(panel, status, slot) {
  if (!panel.isConnected && status.dataset.drawn) return;  // the trainer left the page
  let run = null;
  try {
    run = await api("GET", "/training");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) return attempt(() => { throw error; });
  }
  draw(status, run, () => start(panel, status, slot), (decision) => decide(panel, status, slot, decision));
  if (run && run.status === "running") setTimeout(() => refresh(panel, status, slot), POLL_MS);
  const reported = run && ["ready", "promoted", "discarded"].includes(run.status) && run.summary;
  if (!reported) slot.replaceChildren();
  else if (slot.dataset.run !== String(run.id)) await showReport(slot, run);
}

function draw(status, run, onTrain, onDecide) {
  const words = t().training;
  const busy = run && ["running", "ready"].includes(run.status);
  status.replaceChildren(...[
    el("h2", { id: "training-title" }, words.title),
    el("p", { class: "hint" }, words.hint),
    el("button", { type: "button", id: "train", class: "primary", disabled: busy, onclick: onTrain }, words.train),
    run ? progress(run) : null,
    run && run.summary ? scores(run.summary) : null,
    run && run.status === "ready" ? el("div", { class: "decide" },
      el("button", { type: "button", id: "promote", class: "primary", onclick: () => onDecide("promote") }, words.promote),
      el("button", { type: "button", id: "discard", onclick: () => onDecide("discard") }, words.discard)) : null,
  ].filter(Boolean));
  status.dataset.drawn = "1";
}

function progress(run) {
  const words = t().training;
  const phase = words.phases[run.phase] || run.phase;
  const detail = run.phase === "cross_validation" ? words.whose[run.detail] : run.detail;
  return el("div", { class: "progress", role: "status" },
    el("p", { id: "training-status" }, fmt(words.status[run.status], { phase, detail: detail || "" })),
    run.status === "running" ? el("p", { id: "training-phase" },
      el("span", {}, phase),
      detail ? [" · ", el("bdi", { dir: "auto" }, detail)] : null,
      run.percent != null ? " · " + fmt(words.percent, { percent: run.percent }) : null) : null,
    run.status === "running" ? el("progress", { max: 100, value: run.percent ?? undefined,
      "aria-label": phase }) : null,
    run.error ? el("pre", { class: "error", dir: "ltr" }, run.error) : null);
}

// Macro-F1 per language of both models: held-out, and cross-validation when it ran.
function scores(summary) {
  const words = t().training;
  const number = new Intl.NumberFormat(state.language, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const arrow = RTL.has(state.language) ? " ← " : " → ";  // from the running model to the new
  const sets = [["held_out", summary.held_out], ["cross_validation", summary.cross_validation]].filter(([, s]) => s);
  return el("table", { id: "training-scores" },
    el("tr", {}, el("th", {}, words.language), sets.map(([name]) => el("th", {}, words.sets[name]))),
    Object.keys(summary.held_out).map((language) => el("tr", {},
      el("td", { lang: language }, texts[language] ? texts[language].name : language),
      sets.map(([, set]) => el("td", {},
        number.format(set[language].current) + arrow + number.format(set[language].candidate))))));
}

async function start(panel, status, slot) {
  await attempt(async () => {
    await api("POST", "/training");
    await refresh(panel, status, slot);
  });
}

async function decide(panel, status, slot, decision) {
  const button = byId(decision);
  if (button) { button.disabled = true; button.textContent = t().training[decision === "promote" ? "promoting" : "discarding"]; }
  await attempt(async () => {
    await api("POST", "/training/" + decision);
  });
  await refresh(panel, status, slot);
}

// The report is a page of its own (inline charts, no scripts): shown in a sandboxed frame.
async function showReport(slot, run) {
  slot.dataset.run = String(run.id);
  const response = await fetch("/api/v1/training/report", { headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) { delete slot.dataset.run; return; }
  const frame = el("iframe", { id: "report", title: t().training.report, sandbox: "", lang: "en", dir: "ltr" });
  frame.srcdoc = await response.text();
  slot.replaceChildren(frame);
}
