// The bettors' money in the console, read from bet-maker with the operator token: the book's
// ledger (and whether its identity holds), the accounts a page at a time with their balances,
// deposits (a new Idempotency-Key per press, kept until that deposit is answered), blocking
// and unblocking. A bet-maker that opens no accounts answers 404 for /ledger, and the section
// stays hidden.

const PAGE = 20;
const $ = (selector, root = document) => root.querySelector(selector);

let api = null;
let betMaker = "";
let pages = [null]; // the `before=` of each page read so far; the last is shown
let shown = [];
let depositing = null; // the account the deposit form is for
let deposit = { key: null, body: null };

function money(value) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(2);
}

/** Cents of a two-decimal amount as bet-maker writes it, exactly (no floating point). */
function cents(text) {
  const [whole, fraction = ""] = String(text).replace("-", "").split(".");
  const value = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
  return String(text).startsWith("-") ? -value : value;
}

function say(element, text, kind = "") {
  if (element.textContent !== text) element.textContent = text;
  if (element.className !== kind) element.className = kind;
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

function button(text, label, onClick, kind = "secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.className = kind;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", onClick);
  return element;
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
  $("#accounts-newer").disabled = pages.length === 1;
  $("#accounts-older").disabled = !older;
  say($("#accounts-page"), shown.length === 0 ? "No accounts yet." : `Page ${pages.length}.`);
}

/** Reads the ledger and the page of accounts shown; hides the section on a book without accounts. */
export async function refreshMoney() {
  if (!betMaker) return;
  const ledger = await api(`${betMaker}/ledger`).catch(() => null);
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
  if (!page || !page.ok) return;
  shown = page.body.slice(0, PAGE);
  renderAccounts(page.body.length > PAGE);
}

function startDeposit(account) {
  depositing = account;
  deposit = { key: null, body: null };
  const form = $("#deposit");
  form.hidden = false;
  say($("#deposit-title"), `Deposit into ${account.name}`);
  say($("#deposit-message"), "");
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
  if (!depositing) return;
  const amountError = $("#deposit-amount-error");
  amountError.textContent = "";
  $("#deposit-amount").removeAttribute("aria-invalid");
  const body = { amount: $("#deposit-amount").value.trim() };
  const reference = $("#deposit-reference").value.trim();
  if (reference) body.reference = reference;
  const text = JSON.stringify(body);
  // A press is one deposit: a new key, unless this same deposit's answer was lost, when
  // pressing again must not pay it twice.
  if (deposit.body !== text || !deposit.key) deposit = { key: newKey(), body: text };
  const account = depositing;
  let answer;
  try {
    answer = await api(`${betMaker}/accounts/${account.id}/deposits`, {
      method: "POST", body: text, headers: { "Idempotency-Key": deposit.key },
    });
  } catch (error) {
    say($("#deposit-message"), `The deposit was not answered (${error.message}); press Deposit again: it will not be paid twice.`, "refused");
    return;
  }
  deposit = { key: null, body: null };
  if (answer.ok) {
    say($("#money-message"), `Deposited ${money(answer.body.amount)} into ${account.name}; available ${money(answer.body.available)}.`, "done");
    stopDeposit();
    refreshMoney();
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

function turn(to) {
  if (to === "older" && shown.length > 0) pages.push(shown[shown.length - 1].id);
  if (to === "newer" && pages.length > 1) pages.pop();
  refreshMoney();
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
