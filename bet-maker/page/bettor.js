// The bettor page: open events with their live odds, a bet slip that sends the odds shown as
// the bettor's consent, and the bet history, newest first; with accounts, the bettor's account
// (account.js), whose token every request then carries. Everything is polled once a second
// from this service's own API; nothing is fetched from anywhere else.

import { authorization, refreshAccount, startAccount } from "./account.js";

const POLL_MS = 1000;
const PAGE = 10;

const $ = (selector) => document.querySelector(selector);
const slip = { event: null, coefficient: null, key: null, sent: null, sending: false };

function money(value) {
  return value === null || value === undefined ? "" : Number(value).toFixed(2);
}

function when(text) {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

async function getJson(path) {
  const response = await fetch(path, {
    headers: { Accept: "application/json", ...authorization() },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function stakes(event) {
  if (event.min_stake !== null && event.max_stake !== null) return `${money(event.min_stake)}–${money(event.max_stake)}`;
  if (event.min_stake !== null) return `from ${money(event.min_stake)}`;
  if (event.max_stake !== null) return `up to ${money(event.max_stake)}`;
  return "any";
}

/**
 * Makes `body` hold one row per item, in order, reusing the row of an id already shown, so
 * that a refresh keeps the keyboard focus and changes only the cells whose text changed.
 * `fill(row, item, fresh)` writes a row's cells (`fresh` when the row is new).
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

/** Sets the text of cell `index` of `row`, making the cells up to it when missing. */
function setCell(row, index, text, className) {
  while (row.cells.length <= index) row.insertCell();
  const td = row.cells[index];
  if (td.textContent !== text) td.textContent = text;
  if (className !== undefined && td.className !== className) td.className = className;
  return td;
}

const shownEvents = new Map();

function renderEvents(events) {
  shownEvents.clear();
  for (const event of events) shownEvents.set(event.id, event);
  syncRows($("#events tbody"), events, (event) => event.id, (row, event, fresh) => {
    row.dataset.event = event.id;
    setCell(row, 0, event.id);
    setCell(row, 1, money(event.coefficient), "number odds");
    setCell(row, 2, when(event.deadline));
    setCell(row, 3, stakes(event));
    if (fresh) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Bet";
      button.addEventListener("click", () => choose(shownEvents.get(event.id) || event));
      setCell(row, 4, "").append(button);
    }
    const label = `Bet on ${event.id} at ${money(event.coefficient)}`;
    const button = row.cells[4].querySelector("button");
    if (button.getAttribute("aria-label") !== label) button.setAttribute("aria-label", label);
  });
  $("#no-events").hidden = events.length > 0;
  showSlip();
}

/** An Idempotency-Key: random, and made without `crypto.randomUUID` (secure contexts only). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function choose(event) {
  slip.event = event.id;
  slip.coefficient = money(event.coefficient);
  slip.key = null;
  showSlip();
  setMessage("", "");
  $("#amount").focus();
}

function showSlip() {
  let text = "Choose an event above.";
  if (slip.event) {
    const now = shownEvents.get(slip.event);
    text = `${slip.event} at odds ${slip.coefficient}`;
    if (!now) text += " (no longer open for betting)";
    else if (money(now.coefficient) !== slip.coefficient) text += ` (the odds are now ${money(now.coefficient)})`;
  }
  if ($("#slip-event").textContent !== text) $("#slip-event").textContent = text;
  $("#place").setAttribute("aria-disabled", String(!slip.event || slip.sending));
}

function setMessage(text, kind) {
  const message = $("#slip-message");
  message.textContent = text;
  message.className = kind;
}

function kindOf(problem) {
  return String(problem.type || "").split(":").pop();
}

async function place(submit) {
  submit.preventDefault();
  $("#amount-error").textContent = "";
  if (!slip.event || slip.sending) return;
  const body = {
    event_id: slip.event,
    amount: $("#amount").value.trim(),
    coefficient: slip.coefficient,
    accept_odds: $("#accept").value,
  };
  // The same key until the bet is placed or refused: sending again after a lost answer
  // returns the bet placed the first time instead of placing a second one.
  const sent = JSON.stringify(body);
  if (!slip.key || slip.sent !== sent) slip.key = newKey();
  slip.sent = sent;
  slip.sending = true;
  showSlip();
  try {
    const response = await fetch("/bet", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": slip.key, ...authorization() },
      body: sent,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = await response.json().catch(() => ({}));
    slip.key = null;
    if (response.ok) {
      setMessage(`Bet placed: ${money(answer.amount)} on ${answer.event_id} at ${money(answer.coefficient)}.`, "placed");
      $("#amount").value = "";
      refreshBets().catch(() => {});
      refreshAccount().catch(() => {});
      return;
    }
    refused(answer);
  } catch (error) {
    setMessage(`The bet could not be sent (${error.message}); press Place bet again: it will not be placed twice.`, "refused");
  } finally {
    slip.sending = false;
    showSlip();
  }
}

function refused(problem) {
  switch (kindOf(problem)) {
    case "odds-changed":
      slip.coefficient = money(problem.coefficient);
      setMessage(`The odds changed to ${slip.coefficient}: no bet was placed. Place it again to take the new odds.`, "refused");
      break;
    case "stake-out-of-range":
      $("#amount-error").textContent = problem.detail;
      setMessage("No bet was placed: the stake is outside this event's limits.", "refused");
      break;
    case "liability-limit":
      setMessage(`No bet was placed: this event takes at most ${money(problem.max_amount)} more at these odds.`, "refused");
      break;
    case "insufficient-funds":
      setMessage(`No bet was placed: only ${money(problem.available)} is available.`, "refused");
      break;
    case "account-blocked":
      setMessage("No bet was placed: this account is blocked.", "refused");
      break;
    case "event-closed":
      setMessage(`No bet was placed: ${problem.detail}.`, "refused");
      break;
    default:
      if (problem.field === "amount") $("#amount-error").textContent = problem.detail;
      setMessage(problem.detail ? `No bet was placed: ${problem.detail}` : "No bet was placed.", "refused");
  }
}

let shownBets = PAGE;

function renderBets(bets) {
  syncRows($("#bets tbody"), bets, (bet) => bet.id, (row, bet) => {
    row.dataset.bet = bet.id;
    setCell(row, 0, bet.event_id);
    setCell(row, 1, money(bet.amount), "number");
    setCell(row, 2, money(bet.coefficient), "number");
    setCell(row, 3, bet.status, `status status-${bet.status}`);
    setCell(row, 4, when(bet.created_at));
  });
  $("#no-bets").hidden = bets.length > 0;
}

/** The newest `shownBets` bets, statuses as they are now; more come with "Older bets". */
async function refreshBets() {
  const bets = await getJson(`/bets?limit=${shownBets}`);
  renderBets(bets);
  $("#older").hidden = bets.length < shownBets || shownBets >= 1000;
}

async function older() {
  shownBets = Math.min(shownBets + PAGE, 1000);
  try {
    await refreshBets();
  } catch (error) {
    $("#connection").textContent = `Cannot load older bets (${error.message}).`;
  }
}

async function poll() {
  try {
    renderEvents(await getJson("/events"));
    await refreshAccount();
    await refreshBets();
    if ($("#connection").textContent) $("#connection").textContent = "";
  } catch (error) {
    $("#connection").textContent = `Cannot reach the service (${error.message}); retrying.`;
  }
  setTimeout(poll, POLL_MS);
}

$("#slip").addEventListener("submit", place);
$("#amount").addEventListener("input", () => { $("#amount-error").textContent = ""; });
$("#older").addEventListener("click", older);
showSlip();
startAccount()
  .catch((error) => {
    $("#connection").textContent = `Cannot reach the service (${error.message}); retrying.`;
  })
  .finally(poll);
