// The bettors' money in the console, read from bet-maker with the operator token: the book's
// ledger (and whether its identity holds), the accounts a page at a time with their balances,
// deposits (a new Idempotency-Key per press, kept until that deposit is answered), blocking
// and unblocking. A bet-maker that opens no accounts answers 404 for /ledger, and the section
// stays hidden.

import { $, button, money, say } from "/console/ui.js";

const PAGE = 20;
let api = null;
let betMaker = "";
let pages = [null]; // the `before=` of each page read so far; the last is shown
let shown = [];
let depositing = null; // the account the deposit form is for

/** Cents of an amount as integers, so that sums compare exactly. The JSON reader has made
 * the amount a float: exact to the cent below 10^13, far beyond any book this console runs. */
function cents(value) {
  const [whole, fraction] = Math.abs(Number(value)).toFixed(2).split(".");
  const amount = BigInt(whole) * 100n + BigInt(fraction);
  return Number(value) < 0 ? -amount : amount;
}

/** An Idempotency-Key, made without `crypto.randomUUID` (secure contexts only). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function detail(answer) {
  return answer.body && answer.body.detail ? answer.body.detail : `bet-maker answered ${answer.status}`;
}

function renderLedger(ledger) {
  for (const name of ["deposits", "withdrawals", "available", "held", "book"]) {
    say($(`#ledger-${name}`), money(ledger[name]));
  }
  say($("#ledger-unpaid_bets"), String(ledger.unpaid_bets));
  const holds = cents(ledger.deposits) - cents(ledger.withdrawals) ===
    cents(ledger.available) + cents(ledger.held) + cents(ledger.book);
  say($("#ledger-check"), holds
    ? "Deposits − withdrawals = available + held + book: it holds, to the cent."
    : "Deposits − withdrawals ≠ available + held + book: the ledger does not balance.",
  holds ? "done" : "refused");
}

function cell(row, index, text, className = "") {
  while (row.cells.length <= index) row.insertCell();
  const td = row.cells[index];
  if (td.textContent !== text) td.textContent = text;
  if (td.className !== className) td.className = className;
  return td;
}

/** One row per account, reusing the rows already shown so that the keyboard focus stays. */
function renderAccounts(older) {
  const body = $("#accounts tbody");
  const rows = new Map([...body.rows].map((row) => [row.dataset.account, row]));
  shown.forEach((account, at) => {
    let row = rows.get(account.id);
    rows.delete(account.id);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.account = account.id;
    }
    cell(row, 0, account.name);
    cell(row, 1, account.id, "id");
    cell(row, 2, money(account.available), Number(account.available) < 0 ? "number negative" : "number");
    cell(row, 3, money(account.held), "number");
    cell(row, 4, account.blocked ? "blocked" : "open", "state");
    while (row.cells.length < 6) row.insertCell();
    const actions = row.cells[5];
    if (actions.dataset.blocked !== String(account.blocked)) {
      actions.replaceChildren(
        button("Deposit", `Deposit into ${account.name}`, () => startDeposit(account)),
        account.blocked
          ? button("Unblock", `Unblock ${account.name}`, () => block(account, false))
          : button("Block", `Block ${account.name}`, () => block(account, true), "danger"),
      );
      actions.dataset.blocked = String(account.blocked);
    }
    if (body.rows[at] !== row) body.insertBefore(row, body.rows[at] || null);
  });
  for (const row of rows.values()) row.remove();
  const focused = document.activeElement;
  $("#accounts-newer").disabled = pages.length === 1;
  $("#accounts-older").disabled = !older;
  // A pager button that turns disabled under the keyboard hands the focus to the other.
  if (focused && focused.disabled) {
    const other = focused.id === "accounts-older" ? "#accounts-newer" : "#accounts-older";
    if (!$(other).disabled) $(other).focus();
  }
  say($("#accounts-page"), shown.length === 0 ? "No accounts yet." : `Page ${pages.length}.`);
}

let reads = 0; // the latest read's number: an older read's answer is dropped
let turning = false;

/** Reads the ledger and the page of accounts shown; hides the section on a book without accounts. */
export async function refreshMoney() {
  if (!betMaker) return;
  const read = ++reads;
  const ledger = await api(`${betMaker}/ledger`).catch(() => null);
  if (read !== reads) return;
  const section = $("#money");
  if (ledger && ledger.status === 404) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  if (!ledger || !ledger.ok) {
    say($("#ledger-check"), ledger && ledger.status === 401 ? "bet-maker refused the operator token." : "bet-maker unavailable.", "refused");
    return;
  }
  renderLedger(ledger.body);
  const before = pages[pages.length - 1];
  // One account more than shown, to know whether an older page exists.
  const page = await api(`${betMaker}/accounts?limit=${PAGE + 1}${before ? `&before=${before}` : ""}`).catch(() => null);
  if (read !== reads || !page || !page.ok) return;
  shown = page.body.slice(0, PAGE);
  renderAccounts(page.body.length > PAGE);
}

/** Deposits sent and not answered (the connection failed, or bet-maker answered 5xx), by
 * account id: pressing Deposit again sends the same key, so they are never paid twice. */
const unanswered = new Map();

function startDeposit(account) {
  depositing = account;
  const form = $("#deposit");
  form.hidden = false;
  say($("#deposit-title"), `Deposit into ${account.name}`);
  const pending = unanswered.get(account.id);
  if (pending) {
    const body = JSON.parse(pending.body);
    $("#deposit-amount").value = body.amount;
    $("#deposit-reference").value = body.reference || "";
    say($("#deposit-message"), `A deposit of ${body.amount} was not answered: press Deposit to send it again (it is paid once), or change it to make another.`, "refused");
  } else {
    form.reset();
    say($("#deposit-message"), "");
  }
  $("#deposit-amount").focus();
}

function stopDeposit() {
  const account = depositing;
  depositing = null;
  $("#deposit").reset();
  $("#deposit").hidden = true;
  const back = account && $(`tr[data-account="${CSS.escape(account.id)}"] button`);
  if (back) back.focus();
}

async function sendDeposit(submit) {
  submit.preventDefault();
  const account = depositing;
  const button = $("#deposit button[type=submit]");
  if (!account || button.disabled) return;
  const amountError = $("#deposit-amount-error");
  amountError.textContent = "";
  $("#deposit-amount").removeAttribute("aria-invalid");
  const body = { amount: $("#deposit-amount").value.trim() };
  const reference = $("#deposit-reference").value.trim();
  if (reference) body.reference = reference;
  const text = JSON.stringify(body);
  // A press is one deposit with a key of its own, unless it is the same deposit as one whose
  // answer was lost: then the same key, and bet-maker pays it once.
  const pending = unanswered.get(account.id);
  const key = pending && pending.body === text ? pending.key : newKey();
  unanswered.set(account.id, { key, body: text });
  button.disabled = true;
  let answer;
  try {
    answer = await api(`${betMaker}/accounts/${account.id}/deposits`, {
      method: "POST", body: text, headers: { "Idempotency-Key": key },
    });
  } catch (error) {
    answer = { ok: false, status: 0, body: { detail: error.message } };
  } finally {
    button.disabled = false;
  }
  const here = depositing === account;
  if (answer.status === 0 || answer.status >= 500) {
    if (here) say($("#deposit-message"), `The deposit was not answered (${detail(answer)}); press Deposit again: it is paid once.`, "refused");
    return;
  }
  if (unanswered.get(account.id)?.key === key) unanswered.delete(account.id);
  if (answer.ok) {
    say($("#money-message"), `Deposited ${money(answer.body.amount)} into ${account.name}; available ${money(answer.body.available)}.`, "done");
    if (here) stopDeposit();
    refreshMoney().catch(() => {});
  } else if (!here) {
    say($("#money-message"), `Not deposited into ${account.name}: ${detail(answer)}`, "refused");
  } else if (answer.body && answer.body.field === "amount") {
    $("#deposit-amount").setAttribute("aria-invalid", "true");
    amountError.textContent = answer.body.detail;
    say($("#deposit-message"), `Not deposited: amount: ${answer.body.detail}`, "refused");
    $("#deposit-amount").focus();
  } else {
    say($("#deposit-message"), `Not deposited: ${detail(answer)}`, "refused");
  }
}

async function block(account, blocked) {
  if (blocked && !confirm(`Block ${account.name}? Their bets and withdrawals are refused until unblocked.`)) return;
  const answer = await api(`${betMaker}/accounts/${account.id}`, { method: "PATCH", body: JSON.stringify({ blocked }) })
    .catch((error) => ({ ok: false, status: 0, body: { detail: error.message } }));
  say($("#money-message"), answer.ok
    ? `${account.name} is ${blocked ? "blocked" : "open again"}.`
    : `${account.name}: ${detail(answer)}`, answer.ok ? "done" : "refused");
  refreshMoney();
}

async function turn(to) {
  if (turning) return;
  turning = true;
  if (to === "older" && shown.length > 0) pages.push(shown[shown.length - 1].id);
  if (to === "newer" && pages.length > 1) pages.pop();
  await refreshMoney().catch(() => {});
  turning = false;
}

/** Wires the section to `request` (the console's own, with the operator token) and bet-maker. */
export function startMoney(request, betMakerUrl) {
  api = request;
  betMaker = betMakerUrl;
  $("#deposit").addEventListener("submit", sendDeposit);
  $("#deposit-cancel").addEventListener("click", stopDeposit);
  $("#accounts-older").addEventListener("click", () => turn("older"));
  $("#accounts-newer").addEventListener("click", () => turn("newer"));
}
