// The operator console: every event with its live state and, from bet-maker, its exposure;
// creating events, changing odds, deadline and limits, finishing, cancelling and correcting.
// Polled once a second from line-provider (and bet-maker for exposure); the operator token
// is kept in this tab's sessionStorage only.

const POLL_MS = 1000;
const TOKEN_KEY = "operator-token";
const LIMITS = ["min_stake", "max_stake", "max_liability"];

const $ = (selector, root = document) => root.querySelector(selector);
let betMaker = "";
let editing = null;
let events = [];
let exposures = new Map();

const token = () => sessionStorage.getItem(TOKEN_KEY);

function money(value) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(2);
}

function when(text) {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function localInput(text) {
  const date = new Date(text);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => null);
  if (response.status === 401) signOut("The token was refused: enter the operator token again.");
  return { ok: response.ok, status: response.status, body };
}

function say(element, text, kind) {
  element.textContent = text;
  element.className = kind;
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#book").hidden = true;
  $("#sign-in").hidden = false;
  say($("#service"), reason, "refused");
}

function signIn(submit) {
  submit.preventDefault();
  const value = $("#token").value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $("#token").value = "";
  show();
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
  const input = problem && problem.field ? $(`#${prefix}${problem.field}`, form) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    $(`#${prefix}${problem.field}-error`, form).textContent = problem.detail;
    say(message, `Not saved: see ${problem.field}.`, "refused");
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
  if (value("deadline")) body.deadline = new Date(value("deadline")).toISOString();
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
  const reason = prompt(`Correct ${event.id} from ${event.status} to ${status}? Its bets follow. Reason:`);
  if (reason === null) return;
  act(event, `/events/${encodeURIComponent(event.id)}/corrections`, "POST",
    { status, reason: reason.trim() }, (e) => `${e.id} is now ${e.status} (version ${e.version}).`);
}

async function save(event, row) {
  const body = {};
  const input = (name) => $(`#edit-${name}`, row);
  if (input("coefficient").value.trim() !== money(event.coefficient)) body.coefficient = input("coefficient").value.trim();
  if (input("deadline").value !== localInput(event.deadline)) body.deadline = new Date(input("deadline").value).toISOString();
  for (const limit of LIMITS) {
    const text = input(limit).value.trim();
    const before = event[limit] === null ? "" : money(event[limit]);
    if (text !== before) body[limit] = text === "" ? null : text;
  }
  clearErrors(row);
  if (Object.keys(body).length === 0) {
    editing = null;
    render();
    return;
  }
  const answer = await api(`/events/${encodeURIComponent(event.id)}`, { method: "PATCH", body: JSON.stringify(body) });
  if (answer.ok) {
    editing = null;
    say($("#action-message"), `${event.id} changed (version ${answer.body.version}).`, "done");
    refresh();
  } else {
    showProblem(row, "edit-", answer.body, $("#action-message"));
  }
}

function button(text, label, onClick, kind = "secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.className = kind;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", onClick);
  return element;
}

// ---------------------------------------------------------------- the table

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function stakes(event) {
  if (event.min_stake !== null && event.max_stake !== null) return `${money(event.min_stake)}–${money(event.max_stake)}`;
  if (event.min_stake !== null) return `from ${money(event.min_stake)}`;
  if (event.max_stake !== null) return `up to ${money(event.max_stake)}`;
  return "any";
}

function editor(row, event) {
  row.className = "editing";
  const td = row.insertCell();
  td.colSpan = 9;
  const fields = document.createElement("div");
  fields.className = "fields";
  const add = (name, label, value, type = "text") => {
    const field = document.createElement("div");
    field.className = "field";
    field.innerHTML = `<label for="edit-${name}"></label><input id="edit-${name}" autocomplete="off"><p class="error" id="edit-${name}-error"></p>`;
    $("label", field).textContent = `${event.id}: ${label}`;
    const input = $("input", field);
    input.type = type;
    input.value = value;
    input.setAttribute("aria-describedby", `edit-${name}-error`);
    if (type === "text") input.inputMode = "decimal";
    fields.append(field);
  };
  add("coefficient", "odds", money(event.coefficient));
  add("deadline", "betting closes", localInput(event.deadline), "datetime-local");
  add("min_stake", "smallest stake", event.min_stake === null ? "" : money(event.min_stake));
  add("max_stake", "largest stake", event.max_stake === null ? "" : money(event.max_stake));
  add("max_liability", "most the book may lose", event.max_liability === null ? "" : money(event.max_liability));
  td.append(fields);
  td.append(button("Save", `Save ${event.id}`, () => save(event, row), ""));
  td.append(button("Discard", `Discard changes to ${event.id}`, () => { editing = null; render(); }));
}

function actions(td, event) {
  if (event.status === "new") {
    td.append(button("Edit", `Edit ${event.id}`, () => { editing = event.id; render(); }));
    td.append(button("Won", `Finish ${event.id} as won`, () => finish(event, "finished_win")));
    td.append(button("Lost", `Finish ${event.id} as lost`, () => finish(event, "finished_lose")));
    td.append(button("Cancel", `Cancel ${event.id}`, () => cancel(event), "danger"));
    return;
  }
  for (const status of ["finished_win", "finished_lose", "cancelled"]) {
    if (status === event.status) continue;
    const word = { finished_win: "won", finished_lose: "lost", cancelled: "cancelled" }[status];
    td.append(button(`Correct to ${word}`, `Correct ${event.id} to ${status}`, () => correct(event, status)));
  }
}

function render() {
  const search = $("#search").value.trim().toLowerCase();
  const body = $("#events tbody");
  body.replaceChildren();
  for (const event of events) {
    if (search && !event.id.toLowerCase().includes(search)) continue;
    const row = body.insertRow();
    row.dataset.event = event.id;
    if (editing === event.id) {
      editor(row, event);
      continue;
    }
    const exposure = exposures.get(event.id);
    cell(row, event.id);
    cell(row, event.status, "status");
    cell(row, String(event.version), "number");
    cell(row, money(event.coefficient), "number odds");
    cell(row, when(event.deadline));
    cell(row, stakes(event));
    cell(row, `${exposure ? money(exposure.liability) : "0.00"} / ${money(event.max_liability)}`, "number liability");
    cell(row, exposure ? String(exposure.bets) : "0", "number");
    actions(row.insertCell(), event);
  }
}

// ---------------------------------------------------------------- polling

async function service() {
  const ready = await fetch("/health/ready").then((r) => r.json().catch(() => ({}))).catch(() => null);
  const metrics = await fetch("/metrics").then((r) => r.text()).catch(() => "");
  const backlog = /^line_provider_outbox_pending (\d+)/m.exec(metrics);
  const state = ready && ready.status ? ready.status : "unreachable";
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
    if (exposure && exposure.ok) exposures = new Map(exposure.body.map((e) => [e.event_id, e]));
  }
  if (editing === null) render();
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

async function start() {
  const config = await fetch("/console/config.json").then((r) => r.json()).catch(() => ({}));
  betMaker = config.bet_maker_url || "";
  $("#token-form").addEventListener("submit", signIn);
  $("#create").addEventListener("submit", create);
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
  poll();
}

start();
