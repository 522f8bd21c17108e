// DOM helpers shared by the console's modules.

// el("button", { class: "primary", onclick: f }, "Send"): attributes, listeners and children.
export function el(tag, attributes, ...children) {
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

export const byId = (id) => document.getElementById(id);

// Keep what the agent was typing (and where) across a re-render of part of the page.
export function keepingDrafts(ids, render) {
  const drafts = ids.map(byId).filter(Boolean)
    .map((field) => [field.id, field.value, document.activeElement === field]);
  render();
  for (const [id, value, focused] of drafts) {
    const field = byId(id);
    if (!field) continue;
    field.value = value;
    if (focused) field.focus();
  }
}
