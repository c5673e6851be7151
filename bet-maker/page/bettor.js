// The bettor page: open events with their live odds, a bet slip that sends the odds shown as
// the bettor's consent, and the bet history, newest first. Everything is polled once a second
// from this service's own API; nothing is fetched from anywhere else.

const POLL_MS = 1000;
const PAGE = 10;

const $ = (selector) => document.querySelector(selector);
const slip = { event: null, coefficient: null };
let olderPages = [];

function money(value) {
  return value === null || value === undefined ? "" : Number(value).toFixed(2);
}

function when(text) {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function stakes(event) {
  if (event.min_stake !== null && event.max_stake !== null) return `${money(event.min_stake)}–${money(event.max_stake)}`;
  if (event.min_stake !== null) return `from ${money(event.min_stake)}`;
  if (event.max_stake !== null) return `up to ${money(event.max_stake)}`;
  return "any";
}

function renderEvents(events) {
  const body = $("#events tbody");
  body.replaceChildren();
  for (const event of events) {
    const row = body.insertRow();
    row.dataset.event = event.id;
    cell(row, event.id);
    cell(row, money(event.coefficient), "number odds");
    cell(row, when(event.deadline));
    cell(row, stakes(event));
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Bet";
    button.setAttribute("aria-label", `Bet on ${event.id} at ${money(event.coefficient)}`);
    button.addEventListener("click", () => choose(event));
    row.insertCell().append(button);
  }
  $("#no-events").hidden = events.length > 0;
}

function choose(event) {
  slip.event = event.id;
  slip.coefficient = money(event.coefficient);
  showSlip();
  setMessage("", "");
  $("#amount").focus();
}

function showSlip() {
  $("#slip-event").textContent = slip.event
    ? `${slip.event} at odds ${slip.coefficient}`
    : "Choose an event above.";
  $("#place").disabled = !slip.event;
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
  if (!slip.event) return;
  const body = {
    event_id: slip.event,
    amount: $("#amount").value.trim(),
    coefficient: slip.coefficient,
    accept_odds: $("#accept").value,
  };
  $("#place").disabled = true;
  try {
    const response = await fetch("/bet", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      setMessage(`Bet placed: ${money(answer.amount)} on ${answer.event_id} at ${money(answer.coefficient)}.`, "placed");
      $("#amount").value = "";
      refreshBets();
      return;
    }
    refused(answer);
  } catch (error) {
    setMessage(`The bet could not be sent (${error.message}); try again.`, "refused");
  } finally {
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
    case "event-closed":
      setMessage(`No bet was placed: ${problem.detail}.`, "refused");
      break;
    default:
      if (problem.field === "amount") $("#amount-error").textContent = problem.detail;
      setMessage(problem.detail ? `No bet was placed: ${problem.detail}` : "No bet was placed.", "refused");
  }
}

function renderBets(bets) {
  const body = $("#bets tbody");
  body.replaceChildren();
  for (const bet of bets) {
    const row = body.insertRow();
    row.dataset.bet = bet.id;
    cell(row, bet.event_id);
    cell(row, money(bet.amount), "number");
    cell(row, money(bet.coefficient), "number");
    cell(row, bet.status, `status status-${bet.status}`);
    cell(row, when(bet.created_at));
  }
  $("#no-bets").hidden = bets.length > 0;
}

async function refreshBets() {
  const first = await getJson(`/bets?limit=${PAGE}`);
  renderBets(first.concat(...olderPages));
  $("#older").hidden = first.length < PAGE;
}

async function older() {
  const shown = document.querySelectorAll("#bets tbody tr");
  const last = shown[shown.length - 1];
  if (!last) return;
  const page = await getJson(`/bets?limit=${PAGE}&before=${last.dataset.bet}`);
  olderPages.push(page);
  await refreshBets();
  $("#older").hidden = page.length < PAGE;
}

async function poll() {
  try {
    renderEvents(await getJson("/events"));
    await refreshBets();
    $("#connection").textContent = "";
  } catch (error) {
    $("#connection").textContent = `Cannot reach the service (${error.message}); retrying.`;
  }
  setTimeout(poll, POLL_MS);
}

$("#slip").addEventListener("submit", place);
$("#amount").addEventListener("input", () => { $("#amount-error").textContent = ""; });
$("#older").addEventListener("click", older);
showSlip();
poll();
