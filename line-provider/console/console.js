// The operator console: every event with its live state and, from bet-maker, its exposure;
// creating events, changing odds, deadline and limits, finishing, cancelling and correcting.
// Polled once a second from line-provider (and bet-maker for exposure, and the bettors' money
// in accounts.js); the operator token is kept in this tab's sessionStorage only.

import { refreshMoney, startMoney } from "/console/accounts.js";
import { $, button, money, say } from "/console/ui.js";

const POLL_MS = 1000;
const TOKEN_KEY = "operator-token";
const LIMITS = ["min_stake", "max_stake", "max_liability"];

let betMaker = "";
let editing = null;
let events = [];
let exposures = null; // null: bet-maker could not be read
let exposureProblem = "";

const token = () => sessionStorage.getItem(TOKEN_KEY);

function when(text) {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function localInput(text) {
  const date = new Date(text);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A request with the operator token; a 401 from line-provider itself signs the tab out. */
async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers, signal: AbortSignal.timeout(5_000) });
  const body = await response.json().catch(() => null);
  const own = new URL(path, location.href).origin === location.origin;
  if (response.status === 401 && own) signOut(REFUSED);
  return { ok: response.ok, status: response.status, body };
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#book").hidden = true;
  $("#sign-in").hidden = false;
  say($("#sign-in-message"), reason, "refused");
  $("#token").focus();
}

/**
 * Whether line-provider takes `value` as its operator token: `GET /admin/token` changes
 * nothing and answers 204 for the token (or when the service has none), 401 otherwise.
 * Returns "taken", "refused", or why it could not be asked.
 */
async function checkToken(value) {
  try {
    const response = await fetch("/admin/token", {
      headers: { Authorization: `Bearer ${value}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status === 204) return "taken";
    if (response.status === 401) return "refused";
    return `line-provider answered ${response.status}`;
  } catch (error) {
    return `line-provider could not be reached (${error.message})`;
  }
}

const REFUSED = "line-provider refused this token: it is not the ADMIN_TOKEN the service was started with.";

async function signIn(submit) {
  submit.preventDefault();
  const input = $("#token");
  const value = input.value.trim();
  if (!value) return;
  const button = $("#token-form button");
  button.disabled = true;
  say($("#sign-in-message"), "Checking the token…", "");
  const answer = await checkToken(value);
  button.disabled = false;
  if (answer !== "taken") {
    input.setAttribute("aria-invalid", "true");
    say($("#sign-in-message"), answer === "refused" ? REFUSED : `The token was not checked: ${answer}. Try again.`, "refused");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  sessionStorage.setItem(TOKEN_KEY, value);
  input.value = "";
  say($("#sign-in-message"), "", "");
  show();
  refresh();
}

function show() {
  const signedIn = Boolean(token());
  $("#sign-in").hidden = signedIn;
  $("#book").hidden = !signedIn;
}

// ---------------------------------------------------------------- creating an event

function clearErrors(form) {
  for (const error of form.querySelectorAll(".error")) error.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

function showProblem(form, prefix, problem, message) {
  const input = problem && problem.field ? form.querySelector(`#${prefix}${CSS.escape(problem.field)}`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    form.querySelector(`#${prefix}${CSS.escape(problem.field)}-error`).textContent = problem.detail;
    const label = form.querySelector(`label[for="${prefix}${CSS.escape(problem.field)}"]`);
    say(message, `Not saved: ${label ? label.textContent : problem.field}: ${problem.detail}`, "refused");
    input.focus();
  } else {
    say(message, problem && problem.detail ? `Not saved: ${problem.detail}` : "Not saved.", "refused");
  }
}

async function create(submit) {
  submit.preventDefault();
  const form = $("#create");
  clearErrors(form);
  const value = (name) => $(`#new-${name}`, form).value.trim();
  const body = { coefficient: value("coefficient") };
  if (value("id")) body.id = value("id");
  const deadline = new Date(value("deadline"));
  if (value("deadline") && !Number.isNaN(deadline.getTime())) body.deadline = deadline.toISOString();
  for (const limit of LIMITS) if (value(limit)) body[limit] = value(limit);
  if (!body.deadline) {
    $("#new-deadline-error").textContent = "Choose when betting closes.";
    return;
  }
  const answer = await api("/events", { method: "POST", body: JSON.stringify(body) });
  if (answer.ok) {
    form.reset();
    say($("#create-message"), `Created ${answer.body.id}.`, "done");
    refresh();
  } else {
    showProblem(form, "new-", answer.body, $("#create-message"));
  }
}

// ---------------------------------------------------------------- acting on an event

async function act(event, path, method, body, done) {
  const answer = await api(path, { method, body: JSON.stringify(body) });
  const message = $("#action-message");
  if (answer.ok) {
    say(message, done(answer.body), "done");
    refresh();
  } else {
    say(message, `${event.id}: ${answer.body ? answer.body.detail : `answered ${answer.status}`}`, "refused");
  }
  return answer;
}

function finish(event, status) {
  const result = status === "finished_win" ? "won (its bets win)" : "lost (its bets lose)";
  if (!confirm(`Finish ${event.id} as ${result}?`)) return;
  act(event, `/events/${encodeURIComponent(event.id)}/status`, "PUT", { status },
    (e) => `${e.id} is ${e.status} (version ${e.version}).`);
}

function cancel(event) {
  const reason = prompt(`Cancel ${event.id}? Its bets become void. Reason (optional):`);
  if (reason === null) return;
  const body = { status: "cancelled" };
  if (reason.trim()) body.reason = reason.trim();
  act(event, `/events/${encodeURIComponent(event.id)}/status`, "PUT", body,
    (e) => `${e.id} is cancelled (version ${e.version}).`);
}

function correct(event, status) {
  const reason = prompt(`Correct ${event.id} from ${WORD[event.status]} to ${WORD[status]}? Its bets follow. Reason:`);
  if (reason === null) return;
  act(event, `/events/${encodeURIComponent(event.id)}/corrections`, "POST",
    { status, reason: reason.trim() }, (e) => `${e.id} is now ${e.status} (version ${e.version}).`);
}

async function save(event, row) {
  const body = {};
  const input = (name) => $(`#edit-${name}`, row);
  if (input("coefficient").value.trim() !== money(event.coefficient)) body.coefficient = input("coefficient").value.trim();
  if (input("deadline").value !== localInput(event.deadline)) {
    const deadline = new Date(input("deadline").value);
    if (Number.isNaN(deadline.getTime())) {
      $("#edit-deadline-error", row).textContent = "Choose when betting closes.";
      return;
    }
    body.deadline = deadline.toISOString();
  }
  for (const limit of LIMITS) {
    const text = input(limit).value.trim();
    const before = event[limit] === null ? "" : money(event[limit]);
    if (text !== before) body[limit] = text === "" ? null : text;
  }
  clearErrors(row);
  if (Object.keys(body).length === 0) {
    stopEditing(event);
    return;
  }
  const answer = await api(`/events/${encodeURIComponent(event.id)}`, { method: "PATCH", body: JSON.stringify(body) });
  if (answer.ok) {
    say($("#action-message"), `${event.id} changed (version ${answer.body.version}).`, "done");
    await refresh();
    stopEditing(event);
  } else {
    showProblem(row, "edit-", answer.body, $("#action-message"));
  }
}

// ---------------------------------------------------------------- the table

const WORD = { finished_win: "won", finished_lose: "lost", cancelled: "cancelled" };

/**
 * Makes `body` hold one row per item, in order, reusing the row of an id already shown, so
 * that a refresh keeps the keyboard focus and changes only the cells whose text changed.
 */
function syncRows(body, items, key, fill) {
  const rows = new Map([...body.rows].map((row) => [row.dataset.key, row]));
  let at = 0;
  for (const item of items) {
    let row = rows.get(key(item));
    const fresh = !row;
    if (fresh) {
      row = document.createElement("tr");
      row.dataset.key = key(item);
    }
    rows.delete(key(item));
    fill(row, item, fresh);
    if (body.rows[at] !== row) body.insertBefore(row, body.rows[at] || null);
    at += 1;
  }
  for (const row of rows.values()) row.remove();
}

function setCell(row, index, text, className) {
  while (row.cells.length <= index) row.insertCell();
  const td = row.cells[index];
  if (td.textContent !== text) td.textContent = text;
  if (className !== undefined && td.className !== className) td.className = className;
  return td;
}

function stakes(event) {
  if (event.min_stake !== null && event.max_stake !== null) return `${money(event.min_stake)}–${money(event.max_stake)}`;
  if (event.min_stake !== null) return `from ${money(event.min_stake)}`;
  if (event.max_stake !== null) return `up to ${money(event.max_stake)}`;
  return "any";
}

function exposureOf(event) {
  if (exposures === null) return { liability: exposureProblem || "unavailable", bets: "–", unpaid: "–" };
  const exposure = exposures.get(event.id);
  return {
    liability: `${exposure ? money(exposure.liability) : "0.00"} / ${money(event.max_liability)}`,
    bets: exposure ? String(exposure.bets) : "0",
    // A book without accounts has no wallets to pay.
    unpaid: exposure && exposure.unpaid_bets !== undefined ? String(exposure.unpaid_bets) : "–",
  };
}

function startEditing(event) {
  editing = event.id;
  render();
  $(`tr[data-event="${CSS.escape(event.id)}"] input`).focus();
}

function stopEditing(event) {
  editing = null;
  render();
  const edit = $(`tr[data-event="${CSS.escape(event.id)}"] button`);
  if (edit) edit.focus();
}

function editor(row, event) {
  row.replaceChildren();
  row.className = "editing";
  const td = row.insertCell();
  td.colSpan = 10;
  const fields = document.createElement("div");
  fields.className = "fields";
  const add = (name, label, value, type = "text") => {
    const field = document.createElement("div");
    field.className = "field";
    const labelElement = document.createElement("label");
    labelElement.htmlFor = `edit-${name}`;
    labelElement.textContent = `${event.id}: ${label}`;
    const input = document.createElement("input");
    input.id = `edit-${name}`;
    input.autocomplete = "off";
    input.type = type;
    input.value = value;
    input.setAttribute("aria-describedby", `edit-${name}-error`);
    if (type === "text") input.inputMode = "decimal";
    const error = document.createElement("p");
    error.className = "error";
    error.id = `edit-${name}-error`;
    field.append(labelElement, input, error);
    fields.append(field);
  };
  add("coefficient", "odds", money(event.coefficient));
  add("deadline", "betting closes (your time)", localInput(event.deadline), "datetime-local");
  add("min_stake", "smallest stake", event.min_stake === null ? "" : money(event.min_stake));
  add("max_stake", "largest stake", event.max_stake === null ? "" : money(event.max_stake));
  add("max_liability", "most the book may lose", event.max_liability === null ? "" : money(event.max_liability));
  td.append(fields);
  td.append(button("Save", `Save ${event.id}`, () => save(event, row), ""));
  td.append(button("Discard", `Discard changes to ${event.id}`, () => stopEditing(event)));
}

function actions(td, event) {
  td.replaceChildren();
  if (event.status === "new") {
    td.append(button("Edit", `Edit ${event.id}`, () => startEditing(event)));
    td.append(button("Won", `Finish ${event.id} as won`, () => finish(event, "finished_win")));
    td.append(button("Lost", `Finish ${event.id} as lost`, () => finish(event, "finished_lose")));
    td.append(button("Cancel", `Cancel ${event.id}`, () => cancel(event), "danger"));
  } else {
    for (const status of ["finished_win", "finished_lose", "cancelled"]) {
      if (status === event.status) continue;
      td.append(button(`Correct to ${WORD[status]}`, `Correct ${event.id} to ${WORD[status]}`, () => correct(event, status)));
    }
  }
  td.append(button("History", `History of ${event.id}`, () => history(event)));
}

function render() {
  const search = $("#search").value.trim().toLowerCase();
  const shown = events.filter((event) => !search || event.id.toLowerCase().includes(search));
  syncRows($("#events tbody"), shown, (event) => event.id, (row, event, fresh) => {
    row.dataset.event = event.id;
    if (editing === event.id) {
      if (row.className !== "editing") editor(row, event);
      return;
    }
    if (row.className === "editing") {
      row.replaceChildren();
      row.className = "";
    }
    const exposure = exposureOf(event);
    setCell(row, 0, event.id);
    setCell(row, 1, event.status, "status");
    setCell(row, 2, String(event.version), "number");
    setCell(row, 3, money(event.coefficient), "number odds");
    setCell(row, 4, when(event.deadline));
    setCell(row, 5, stakes(event));
    setCell(row, 6, exposure.liability, "number liability");
    setCell(row, 7, exposure.bets, "number");
    setCell(row, 8, exposure.unpaid, "number unpaid");
    while (row.cells.length < 10) row.insertCell();
    const td = row.cells[9];
    if (fresh || td.dataset.status !== event.status || td.dataset.version !== String(event.version)) {
      actions(td, event);
      td.dataset.status = event.status;
      td.dataset.version = String(event.version);
    }
  });
}

async function history(event) {
  const answer = await api(`/events/${encodeURIComponent(event.id)}/history`);
  const list = $("#history");
  list.replaceChildren();
  $("#history-title").textContent = `History of ${event.id}`;
  for (const version of answer.ok ? answer.body : []) {
    const item = document.createElement("li");
    item.textContent = `version ${version.version}: ${version.status}, odds ${money(version.coefficient)}, ` +
      `closes ${when(version.deadline)}, liability limit ${money(version.max_liability)}` +
      `${version.reason ? `, “${version.reason}”` : ""} (${when(version.changed_at)})`;
    list.append(item);
  }
  $("#history-section").hidden = false;
  $("#history-title").focus();
}

async function republish() {
  if (!confirm("Publish the current state of every event again? bet-maker applies only what is newer than what it holds.")) return;
  const answer = await api("/admin/republish", { method: "POST" });
  say($("#action-message"), answer.ok ? `${answer.body.events} events published again.` : `Republish: ${answer.body ? answer.body.detail : answer.status}`, answer.ok ? "done" : "refused");
}

// ---------------------------------------------------------------- polling

async function service() {
  const ready = await fetch("/health/ready", { signal: AbortSignal.timeout(5_000) })
    .then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }))
    .catch(() => null);
  const metrics = await fetch("/metrics", { signal: AbortSignal.timeout(5_000) }).then((r) => r.text()).catch(() => "");
  const backlog = /^line_provider_outbox_pending (\d+)/m.exec(metrics);
  const state = !ready ? "unreachable" : ready.ok ? "ready" : `not ready: ${ready.body.detail || "see /health/ready"}`;
  say($("#service"), `line-provider: ${state}; messages waiting in the outbox: ${backlog ? backlog[1] : "?"}`, "");
}

async function refresh() {
  if (!token()) return;
  const status = $("#filter-status").value;
  const answer = await api(status ? `/events?status=${status}` : "/events");
  if (!answer.ok) return;
  events = answer.body.slice().reverse();
  if (betMaker) {
    const exposure = await api(`${betMaker}/exposure`).catch(() => null);
    if (exposure && exposure.ok) {
      exposures = new Map(exposure.body.map((e) => [e.event_id, e]));
    } else {
      exposures = null;
      exposureProblem = exposure && exposure.status === 401 ? "token refused by bet-maker" : "bet-maker unavailable";
    }
  }
  render();
  // Not awaited: a slow bet-maker never holds the events back.
  refreshMoney().catch(() => {});
}

async function poll() {
  try {
    await service();
    await refresh();
  } catch (error) {
    say($("#service"), `Cannot reach the service (${error.message}); retrying.`, "refused");
  }
  setTimeout(poll, POLL_MS);
}

function start() {
  $("#token-form").addEventListener("submit", signIn);
  $("#create").addEventListener("submit", create);
  $("#republish").addEventListener("click", republish);
  // A field's error goes as soon as the operator changes that field.
  $("#create").addEventListener("input", (change) => {
    change.target.removeAttribute("aria-invalid");
    const error = document.getElementById(`${change.target.id}-error`);
    if (error) error.textContent = "";
    say($("#create-message"), "", "");
  });
  $("#filter-status").addEventListener("change", refresh);
  $("#search").addEventListener("input", render);
  show();
  // A token kept from earlier in this tab may have been changed on the service since.
  if (token()) {
    checkToken(token()).then((answer) => {
      if (answer === "refused") signOut(REFUSED);
    });
  }
  fetch("/console/config.json")
    .then((r) => r.json())
    .then((config) => {
      betMaker = config.bet_maker_url || "";
      startMoney(api, betMaker);
    })
    .catch(() => {})
    .finally(poll);
}

start();
