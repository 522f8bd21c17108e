// The supervisors' reports: a date range and filters, the figures as tiles, four charts (Chart.js,
// vendored in vendor/, loaded the first time a supervisor opens the page) and CSV exports.
// Numbers, dates and the charts' direction follow the console's language.
import { ApiError, api, attempt, showError } from "./api.js";
import { el } from "./dom.js";
import { LANGUAGES, RTL, channelName, fmt, t } from "./i18n.js";
import { waited } from "./queue.js";
import { state } from "./state.js";

const REASONS = ["explicit_request", "fallback", "frustration", "business_rule"];
const DIMENSIONS = ["reason", "team", "agent", "language", "channel", "day"];
const COLOURS = ["#1f6feb", "#d9822b", "#c23b3b", "#2e8540", "#7d4cdb", "#6b7280"];
const charts = [];
let library = null;

function loadCharts() {
  library = library || new Promise((resolve, reject) => {
    const script = el("script", { src: "vendor/chart.umd.min.js" });
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error("chart library"));
    document.head.append(script);
  });
  return library;
}

const isoDay = (date) => date.toLocaleDateString("en-CA");  // YYYY-MM-DD, in local time

function choices() {
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  return state.reportChoices || { since: isoDay(weekAgo), until: isoDay(today), team: "", agent: "", language: "", channel: "", reason: "" };
}

function query(chosen) {
  const params = new URLSearchParams({ since: chosen.since, until: chosen.until, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  for (const name of ["team", "agent", "language", "channel", "reason"]) if (chosen[name]) params.set(name, chosen[name]);
  return params;
}

export function renderReports(main) {
  const words = t().reports;
  const chosen = choices();
  const field = (name, label, control) => el("label", { class: "report-field" }, label, control);
  const select = (name, options) => el("select", { name }, el("option", { value: "" }, words.all),
    options.map(([value, label]) => el("option", { value, selected: String(chosen[name]) === String(value) }, label)));
  const form = el("form", { class: "report-filters", onsubmit: (event) => { event.preventDefault(); show(form, main); } },
    field("since", words.since, el("input", { type: "date", name: "since", value: chosen.since, required: true })),
    field("until", words.until, el("input", { type: "date", name: "until", value: chosen.until, required: true })),
    field("team", words.team, select("team", state.teams.map((team) => [team.id, team.name]))),
    field("agent", words.agent, select("agent", state.colleagues.map((agent) => [agent.id, agent.name]))),
    field("language", words.language, select("language", LANGUAGES.map((code) => [code, t().reports.languages[code]]))),
    field("channel", words.channel, select("channel", Object.keys(t().channels).map((code) => [code, channelName(code)]))),
    field("reason", words.reason, select("reason", REASONS.map((reason) => [reason, t()[reason]]))),
    el("button", { type: "submit" }, words.show));
  main.replaceChildren(el("h2", {}, words.now.title), el("div", { id: "now" }),
    el("h2", {}, words.title), form, el("div", { id: "report" }));
  refreshNow();
  show(form, main);
}

// The teams right now, read again when the live feed says something changed (at most once a
// second) and every 10 s (presence changes of other teams' agents are not on this feed).
let nowTimer = null;
let nowDue = false;

export function nowChanged(event) {
  if (!event.type.startsWith("handoff.") && event.type !== "agent.presence") return;
  if (nowTimer) { nowDue = true; return; }
  refreshNow();
  nowTimer = setTimeout(() => { nowTimer = null; if (nowDue) { nowDue = false; refreshNow(); } }, 1000);
}
setInterval(() => { if (state.view === "reports") refreshNow(); }, 10000);

async function refreshNow() {
  let teams;
  try { teams = await api("GET", "/reports/now"); } catch (error) { return showError(error); }
  const place = document.getElementById("now");
  if (!place) return;
  const words = t().reports.now;
  const number = new Intl.NumberFormat(state.language);
  const now = Date.now() / 1000;
  place.replaceChildren(el("table", { class: "now" },
    el("thead", {}, el("tr", {}, [words.team, words.waiting, words.oldest, words.online, words.agents].map((h) => el("th", {}, h)))),
    el("tbody", {}, teams.map((team) => el("tr", { "data-team": team.name },
      el("th", {}, team.name),
      el("td", { "data-now": "waiting" }, number.format(team.waiting)),
      el("td", { "data-now": "oldest" }, team.oldest_waiting_since == null ? "—"
        : el("span", { class: "waiting", "data-since": team.oldest_waiting_since }, fmt(t().waiting, { time: waited(now - team.oldest_waiting_since) }))),
      el("td", { "data-now": "online" }, number.format(team.online)),
      el("td", { class: "loads" }, team.agents.map((agent) => el("span", { class: "load presence-" + agent.presence, title: t()[agent.presence] },
        agent.name, " ", fmt(words.load, { open: agent.open, capacity: agent.capacity })))))))));
}

async function show(form, main) {
  const values = Object.fromEntries(new FormData(form));
  state.reportChoices = values;
  const params = query(values);
  let report;
  try { report = await api("GET", "/reports?" + params); } catch (error) { return showError(error); }
  const place = main.querySelector("#report");
  if (!place) return;
  charts.splice(0).forEach((chart) => chart.destroy());
  place.replaceChildren(tiles(report.total), chartGrid(), exports(params));
  try { draw(await loadCharts(), report); } catch (error) { showError(error); }
}

const seconds = (value) => value == null ? "—" : duration(value);

// 95 s → "1:35", 4000 s → "1:06:40", in the language's digits.
function duration(value) {
  const number = new Intl.NumberFormat(state.language, { minimumIntegerDigits: 2 });
  const whole = Math.round(value);
  const parts = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  const shown = parts[0] ? parts : parts.slice(1);
  return shown.map((part, index) => index ? number.format(part) : new Intl.NumberFormat(state.language).format(part)).join(":");
}

function tiles(total) {
  const words = t().reports;
  const percent = new Intl.NumberFormat(state.language, { style: "percent", maximumFractionDigits: 1 });
  const decimal = new Intl.NumberFormat(state.language, { maximumFractionDigits: 2 });
  const tile = (id, label, value, detail) => el("div", { class: "tile", "data-figure": id },
    el("div", { class: "tile-label" }, label), el("div", { class: "tile-value" }, value), el("div", { class: "tile-detail" }, detail || ""));
  return el("div", { class: "tiles" },
    tile("containment", words.containment, total.containment == null ? "—" : percent.format(total.containment),
      total.sessions == null ? words.noContainment : fmt(words.sessions, { n: total.sessions }, total.sessions)),
    tile("handoffs", words.handoffs, decimal.format(total.handoffs)),
    tile("waiting", words.waiting, seconds(total.waiting.p50), fmt(words.p90, { value: seconds(total.waiting.p90) })),
    tile("first_response", words.firstResponse, seconds(total.first_response.p50), fmt(words.p90, { value: seconds(total.first_response.p90) })),
    tile("resolution", words.resolution, seconds(total.resolution.p50), fmt(words.p90, { value: seconds(total.resolution.p90) })),
    tile("csat", words.csat, total.csat.average == null ? "—" : decimal.format(total.csat.average),
      total.csat.response_rate == null ? "" : fmt(words.responseRate, { rate: percent.format(total.csat.response_rate) })));
}

function chartGrid() {
  const words = t().reports;
  const box = (id, title) => el("figure", { class: "chart" }, el("figcaption", {}, title), el("div", { class: "chart-area" }, el("canvas", { id, role: "img", "aria-label": title })));
  return el("div", { class: "charts" },
    box("chart-days", words.perDay), box("chart-reasons", words.byReason),
    box("chart-csat", words.csatDistribution), box("chart-pain", words.painByReason));
}

function draw(Chart, report) {
  const words = t().reports;
  const rtl = RTL.has(state.language);
  const base = {
    locale: state.language, maintainAspectRatio: false, animation: false,
    plugins: { legend: { rtl, textDirection: rtl ? "rtl" : "ltr", position: "bottom" }, tooltip: { rtl, textDirection: rtl ? "rtl" : "ltr" } },
  };
  // Chart.js writes a zero tick as "0" whatever the locale: every tick goes through Intl here.
  const number = new Intl.NumberFormat(state.language, { maximumFractionDigits: 1 });
  const ticks = { callback: (value) => number.format(value) };
  const axes = (extra = {}) => ({ x: { reverse: rtl }, y: { beginAtZero: true, position: rtl ? "right" : "left", ticks: { ...ticks, precision: 0 } }, ...extra });
  const day = new Intl.DateTimeFormat(state.language, { month: "short", day: "numeric" });
  const make = (id, config) => charts.push(new Chart(document.getElementById(id), config));

  make("chart-days", { type: "bar", options: { ...base, scales: axes() }, data: {
    labels: report.by_day.map((row) => day.format(new Date(row.key + "T12:00:00"))),
    datasets: [
      { label: words.handoffs, data: report.by_day.map((row) => row.handoffs), backgroundColor: COLOURS[1] },
      { label: words.containedSessions, data: report.by_day.map((row) => row.contained || 0), backgroundColor: COLOURS[0] },
    ] } });
  make("chart-reasons", { type: "doughnut", options: base, data: {
    labels: report.by_reason.map((row) => t()[row.key] || row.key),
    datasets: [{ data: report.by_reason.map((row) => row.handoffs), backgroundColor: COLOURS }] } });
  const scores = ["1", "2", "3", "4", "5"];
  make("chart-csat", { type: "bar", options: { ...base, plugins: { ...base.plugins, legend: { display: false } }, scales: axes() }, data: {
    labels: scores.map((score) => new Intl.NumberFormat(state.language).format(Number(score)) + " ★"),
    datasets: [{ label: words.ratings, data: scores.map((score) => report.total.csat.distribution[score]), backgroundColor: COLOURS[3] }] } });
  make("chart-pain", { type: "bar", data: {
    labels: report.by_reason.map((row) => t()[row.key] || row.key),
    datasets: [
      { label: words.csatAverage, data: report.by_reason.map((row) => row.csat.average), backgroundColor: COLOURS[3], yAxisID: "y" },
      { label: words.resolutionMinutes, data: report.by_reason.map((row) => row.resolution.p50 == null ? null : row.resolution.p50 / 60), backgroundColor: COLOURS[2], yAxisID: "minutes" },
    ] },
    options: { ...base, scales: axes({ y: { min: 0, max: 5, position: rtl ? "right" : "left", ticks, title: { display: true, text: words.csatAverage } },
      minutes: { beginAtZero: true, position: rtl ? "left" : "right", ticks, grid: { drawOnChartArea: false }, title: { display: true, text: words.resolutionMinutes } } }) } });
}

function exports(params) {
  const words = t().reports;
  return el("p", { class: "exports" }, words.export, " ", DIMENSIONS.map((by) =>
    el("button", { type: "button", class: "link", "data-export": by, onclick: () => attempt(() => download(by, params)) }, words.by[by])));
}

// The CSV needs the agent's token, so it is fetched and handed to the browser as a file.
async function download(by, params) {
  const response = await fetch("/api/v1/reports/export.csv?" + new URLSearchParams({ ...Object.fromEntries(params), by }), {
    headers: { Authorization: "Bearer " + state.token } });
  if (!response.ok) throw new ApiError(response.status);
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name ? name[1] : "report.csv" });
  document.body.append(link);
  link.click();
  link.remove();
}
