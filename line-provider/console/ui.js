// What the console's modules share: `$`, amounts as the API writes them, messages that change
// only what changed (so screen readers announce only news), and buttons named for their row.

export const $ = (selector, root = document) => root.querySelector(selector);

export function money(value) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(2);
}

export function say(element, text, kind = "") {
  if (element.textContent !== text) element.textContent = text;
  if (element.className !== kind) element.className = kind;
}

/** A button whose accessible name says what it acts on (`label`), shown as `text`. */
export function button(text, label, onClick, kind = "secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.className = kind;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", onClick);
  return element;
}
