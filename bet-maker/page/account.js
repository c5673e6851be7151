// The bettor's account on the bettor page: open one or sign in with its token (kept in this
// browser), the balances and the statement (refreshed with the rest of the page), withdrawals.
// A book without accounts answers 404 for /account, and the section stays hidden.

const TOKEN_KEY = "bettor-token";
const $ = (selector) => document.querySelector(selector);

const LINES = 5; // statement lines a page
let token = localStorage.getItem(TOKEN_KEY);
let served = false;
let linePages = [null]; // the `before=` of each statement page read so far; the last is shown
let lines = [];

function money(value) {
  return value === null || value === undefined ? "" : Number(value).toFixed(2);
}

/** The headers that make a request the signed-in bettor's (none when signed out). */
export function authorization() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function signedIn() {
  return Boolean(token);
}

function say(selector, text, kind = "") {
  const element = $(selector);
  element.textContent = text;
  element.className = kind;
}

function show() {
  $("#account").hidden = !served;
  $("#signed-out").hidden = Boolean(token);
  $("#signed-in").hidden = !token;
  const title = !served || token ? "My bets" : "Bets placed without an account";
  if ($("#history-title").textContent !== title) $("#history-title").textContent = title;
}

async function call(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { Accept: "application/json", ...authorization(), ...headers, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { response, answer: await response.json().catch(() => ({})) };
}

function when(text) {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const KINDS = { deposit: "Deposit", withdrawal: "Withdrawal", stake: "Stake", won: "Won", lost: "Lost", void: "Void", correction: "Correction" };

function renderStatement(lines) {
  const body = $("#statement tbody");
  body.replaceChildren(...lines.map((line) => {
    const row = document.createElement("tr");
    const what = KINDS[line.kind] + (line.event_id ? ` (${line.event_id})` : "");
    for (const [text, className] of [[what, ""], [money(line.amount), "number"], [money(line.available), "number"], [when(line.created_at), ""]]) {
      const cell = row.insertCell();
      cell.textContent = text;
      if (className) cell.className = className;
    }
    return row;
  }));
}

/** Reads the account and its latest lines; false when the token opens no account any more. */
export async function refreshAccount() {
  if (!served || !token) return true;
  const { response, answer } = await call("GET", "/account");
  if (response.status === 401) {
    forget("That token opens no account any more: sign in again.");
    return false;
  }
  if (!response.ok) throw new Error(`/account answered ${response.status}`);
  $("#account-name-shown").textContent = answer.name;
  $("#available").textContent = money(answer.available);
  $("#held").textContent = money(answer.held);
  $("#blocked").hidden = !answer.blocked;
  await readStatement();
  return true;
}

let reads = 0; // the latest read's number: an older read's answer is dropped
let turning = false;

/** The statement page shown, asking one line more to know whether an older page exists. */
async function readStatement() {
  const read = ++reads;
  const before = linePages[linePages.length - 1];
  const page = await call("GET", `/account/statement?limit=${LINES + 1}${before ? `&before=${before}` : ""}`);
  if (read !== reads || !page.response.ok) return;
  lines = page.answer.slice(0, LINES);
  renderStatement(lines);
  const focused = document.activeElement;
  $("#statement-newer").disabled = linePages.length === 1;
  $("#statement-older").disabled = page.answer.length <= LINES;
  // A pager button that turns disabled under the keyboard hands the focus to the other.
  if (focused && focused.disabled) {
    const other = focused.id === "statement-older" ? "#statement-newer" : "#statement-older";
    if (!$(other).disabled) $(other).focus();
  }
}

async function turn(to) {
  if (turning) return;
  turning = true;
  if (to === "older" && lines.length > 0) linePages.push(lines[lines.length - 1].id);
  if (to === "newer" && linePages.length > 1) linePages.pop();
  await readStatement().catch(() => {});
  turning = false;
}

function forget(message) {
  token = null;
  linePages = [null];
  localStorage.removeItem(TOKEN_KEY);
  $("#new-token").hidden = true;
  show();
  say("#account-message", message);
}

function keep(newToken) {
  token = newToken;
  linePages = [null];
  localStorage.setItem(TOKEN_KEY, newToken);
  show();
}

async function open(submit) {
  submit.preventDefault();
  const name = $("#account-name").value.trim();
  const { response, answer } = await call("POST", "/accounts", { name });
  if (!response.ok) {
    say("#account-message", answer.detail || `The account was not opened (${response.status}).`, "refused");
    return;
  }
  keep(answer.token);
  $("#new-token").hidden = false;
  $("#new-token-value").textContent = answer.token;
  say("#account-message", "");
  await refreshAccount();
}

async function signIn(submit) {
  submit.preventDefault();
  const candidate = $("#account-token").value.trim();
  const { response } = await call("GET", "/account", undefined, { Authorization: `Bearer ${candidate}` });
  if (!response.ok) {
    say("#account-message", "That token opens no account.", "refused");
    return;
  }
  $("#account-token").value = "";
  say("#account-message", "");
  keep(candidate);
  await refreshAccount();
}

/** An Idempotency-Key, made without `crypto.randomUUID` (secure contexts only). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let withdrawal = { key: null, amount: null };

async function withdraw(submit) {
  submit.preventDefault();
  const amount = $("#withdraw-amount").value.trim();
  // The same key until the withdrawal is answered: pressing again after a lost answer never
  // takes the money twice.
  if (withdrawal.amount !== amount || !withdrawal.key) withdrawal = { key: newKey(), amount };
  try {
    const { response, answer } = await call("POST", "/account/withdrawals", { amount }, { "Idempotency-Key": withdrawal.key });
    withdrawal = { key: null, amount: null };
    if (response.ok) {
      say("#withdraw-message", `Withdrawn: ${money(-answer.amount)}.`, "placed");
      $("#withdraw-amount").value = "";
    } else if (String(answer.type).endsWith("insufficient-funds")) {
      say("#withdraw-message", `Nothing was withdrawn: only ${money(answer.available)} is available.`, "refused");
    } else {
      say("#withdraw-message", `Nothing was withdrawn: ${answer.detail || response.status}`, "refused");
    }
    await refreshAccount();
  } catch (error) {
    say("#withdraw-message", `The withdrawal could not be sent (${error.message}); press Withdraw again: it will not be taken twice.`, "refused");
  }
}

/** Whether this book has accounts; shows the section accordingly. */
export async function startAccount() {
  const { response } = await call("GET", "/account");
  served = response.status !== 404;
  if (served && token && response.status === 401) forget("That token opens no account any more: sign in again.");
  show();
  if (served && token) await refreshAccount();
}

$("#open-account").addEventListener("submit", open);
$("#sign-in").addEventListener("submit", signIn);
$("#withdraw").addEventListener("submit", withdraw);
$("#statement-older").addEventListener("click", () => turn("older"));
$("#statement-newer").addEventListener("click", () => turn("newer"));
$("#sign-out").addEventListener("click", () => forget("Signed out. Your token signs you in again."));
