// The admins' page: teams (time zone, weekly hours with shifts past midnight, holidays, closed
// dates), accounts (role, capacity, languages, teams, deactivation), canned responses in every
// language, and the audit of every admin change.
import { api, attempt } from "./api.js";
import { el } from "./dom.js";
import { LANGUAGES, fmt, t } from "./i18n.js";
import { state } from "./state.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ROLES = ["agent", "supervisor", "admin", "trainer"];

export async function renderAdmin(main) {
  const words = t().admin;
  const [teams, accounts, canned, audit] = await Promise.all([
    api("GET", "/teams"), api("GET", "/accounts"), api("GET", "/admin/canned-responses"), api("GET", "/admin/audit?limit=50")]);
  state.teams = teams;
  main.replaceChildren(
    el("h2", {}, words.title),
    el("section", { id: "admin-teams" }, el("h3", {}, words.teams), ...teams.map((team) => teamForm(team, main)), teamForm(null, main)),
    el("section", { id: "admin-canned" }, el("h3", {}, words.canned), ...canned.map((entry) => cannedForm(entry, main)), cannedForm(null, main)),
    el("section", { id: "admin-accounts" }, el("h3", {}, words.accounts), accountTable(accounts, teams, main)),
    el("section", { id: "admin-audit" }, el("h3", {}, words.audit), auditList(audit)));
}

const refresh = (main) => renderAdmin(main);

// "22:00-06:00, 09:00-12:00" ⇄ [["22:00", "06:00"], ["09:00", "12:00"]]
const shown = (intervals) => (intervals || []).map(([start, end]) => start + "-" + end).join(", ");
const parsed = (text) => text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => part.split("-").map((clock) => clock.trim()));

function teamForm(team, main) {
  const words = t().admin;
  const hours = (team && team.business_hours) || {};
  const input = (name, value, extra = {}) => el("input", { name, value: value || "", dir: "ltr", ...extra });
  const form = el("form", { class: "admin-form", "data-team": team ? team.name : "", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = team ? team.name : String(data.get("name")).trim();
    const days = Object.fromEntries(DAYS.map((day) => [day, parsed(String(data.get("day-" + day)))]).filter(([, v]) => v.length));
    attempt(async () => {
      await api("PUT", "/teams/" + encodeURIComponent(name), {
        name, timezone: String(data.get("timezone")).trim() || "UTC",
        business_hours: Object.keys(days).length ? days : null,
        country: String(data.get("country")).trim().toUpperCase() || null,
        subdivision: String(data.get("subdivision")).trim().toUpperCase() || null,
        closed_dates: String(data.get("closed")).split(",").map((d) => d.trim()).filter(Boolean),
      });
      await refresh(main);
    });
  } },
    el("h4", {}, team ? team.name : words.newTeam),
    team ? null : el("label", {}, words.name, input("name", "", { required: true, pattern: "[\\w-]+" })),
    el("label", {}, words.timezone, input("timezone", team ? team.timezone : "UTC")),
    el("label", {}, words.country, input("country", team && team.country, { maxlength: 2, size: 3 })),
    el("label", {}, words.subdivision, input("subdivision", team && team.subdivision, { size: 5 })),
    el("label", {}, words.closedDates, input("closed", team && (team.closed_dates || []).join(", "), { placeholder: "2026-12-24, 2026-12-31" })),
    el("fieldset", { class: "week" }, el("legend", {}, words.hours),
      DAYS.map((day) => el("label", {}, words.days[day], input("day-" + day, shown(hours[day]), { placeholder: "09:00-17:00" })))),
    el("p", { class: "hint" }, words.hoursHint),
    el("button", { type: "submit" }, words.save));
  return form;
}

function cannedForm(entry, main) {
  const words = t().admin;
  const form = el("form", { class: "admin-form canned-form", "data-canned": entry ? entry.key : "", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const key = entry ? entry.key : String(data.get("key")).trim();
    attempt(async () => {
      await api("PUT", "/admin/canned-responses/" + encodeURIComponent(key),
        Object.fromEntries(LANGUAGES.map((language) => [language, String(data.get(language))])));
      await refresh(main);
    });
  } },
    el("h4", {}, entry ? entry.key : words.newCanned),
    entry ? null : el("label", {}, words.key, el("input", { name: "key", required: true, pattern: "[\\w-]+", dir: "ltr" })),
    LANGUAGES.map((language) => el("label", { lang: language }, t().reports.languages[language],
      el("textarea", { name: language, rows: 2, required: true, maxlength: 2000, dir: "auto", lang: language }, entry ? entry.texts[language] : ""))),
    el("button", { type: "submit" }, words.save),
    entry ? el("button", { type: "button", class: "danger", onclick: () => attempt(async () => {
      await api("DELETE", "/admin/canned-responses/" + encodeURIComponent(entry.key));
      await refresh(main);
    }) }, words.remove) : null);
  return form;
}

function accountTable(accounts, teams, main) {
  const words = t().admin;
  return el("table", { class: "accounts" },
    el("thead", {}, el("tr", {}, [words.name, words.role, words.capacity, words.languages, words.teamsOf, words.active, ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, accounts.map((account) => {
      const role = el("select", { name: "role" }, ROLES.map((r) => el("option", { value: r, selected: r === account.role }, words.roles[r])));
      const capacity = el("input", { name: "capacity", type: "number", min: 1, max: 50, value: account.capacity });
      const languages = el("input", { name: "languages", value: account.languages.join(", "), dir: "ltr", size: 12 });
      const memberOf = el("input", { name: "teams", value: account.teams.map((team) => team.name).join(", "), dir: "ltr", size: 14, list: "team-names" });
      const active = el("input", { name: "active", type: "checkbox", checked: account.active });
      const list = (input) => input.value.split(",").map((v) => v.trim()).filter(Boolean);
      return el("tr", { "data-account": account.email },
        el("td", {}, account.name, el("div", { class: "hint", dir: "ltr" }, account.email)),
        el("td", {}, role), el("td", {}, capacity), el("td", {}, languages), el("td", {}, memberOf), el("td", {}, active),
        el("td", {}, el("button", { type: "button", onclick: () => attempt(async () => {
          await api("PATCH", "/agents/" + account.id, { role: role.value, capacity: Number(capacity.value),
            languages: list(languages), teams: list(memberOf), active: active.checked });
          await refresh(main);
        }) }, words.save)));
    })),
    el("datalist", { id: "team-names" }, teams.map((team) => el("option", { value: team.name }))));
}

function auditList(entries) {
  const words = t().admin;
  const when = new Intl.DateTimeFormat(state.language, { dateStyle: "short", timeStyle: "short" });
  return el("ol", { class: "audit" }, entries.map((entry) => el("li", {},
    el("time", {}, when.format(new Date(entry.at * 1000))), " ",
    fmt(words.change, { actor: entry.actor, action: words.actions[entry.action] || entry.action, target: entry.target }))));
}
