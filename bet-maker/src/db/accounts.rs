//! Statements on `accounts`, `ledger` and `ledger_totals`. A movement of money is one
//! statement: the account's row changed (on a condition, where money leaves it), its line
//! appended with legs that sum to zero (the table's `ledger_balanced` refuses any other), and
//! the same legs added to the account's stripe of the totals. Every movement locks the
//! account's row, then its stripe: the same order everywhere, so movements never deadlock.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use tokio_postgres::Row;
use uuid::Uuid;

use super::DbError;
use crate::domain::{
    Account, AccountName, EventId, IdempotencyKey, LedgerTotals, Line, LineKind, Money, TokenHash,
};

pub(super) const ACCOUNT_COLUMNS: &str = "id, name, available, held, blocked, created_at";

pub(super) fn account_from_row(row: &Row) -> Result<Account, DbError> {
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        available: row.try_get("available")?,
        held: row.try_get("held")?,
        blocked: row.try_get("blocked")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Opens an account with `token`'s hash; its stripe of the totals follows from its id.
pub async fn open_account(
    client: &impl GenericClient,
    id: Uuid,
    name: &AccountName,
    token: &TokenHash,
) -> Result<Account, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "INSERT INTO accounts (id, name, token_hash, stripe) VALUES ($1, $2, $3, $4)
             RETURNING {ACCOUNT_COLUMNS}"
        ))
        .await?;
    let stripe = i16::from(id.as_bytes()[15] & 0x0f);
    let row = client
        .query_one(
            &statement,
            &[&id, &name.as_str(), &token.as_bytes(), &stripe],
        )
        .await?;
    account_from_row(&row)
}

/// One account.
pub async fn get_account(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Account>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.as_ref().map(account_from_row).transpose()
}

/// Up to `limit` accounts, newest first (ids are time-ordered), those before `before` when
/// given.
pub async fn accounts_page(
    client: &impl GenericClient,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Account>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts
             WHERE $1::uuid IS NULL OR id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .await?;
    let rows = client.query(&statement, &[&before, &limit]).await?;
    rows.iter().map(account_from_row).collect()
}

/// Replaces the account's token hash: the old token stops working with the commit. False when
/// there is no such account.
pub async fn replace_token(
    client: &impl GenericClient,
    id: Uuid,
    token: &TokenHash,
) -> Result<bool, DbError> {
    let statement = client
        .prepare_cached("UPDATE accounts SET token_hash = $2 WHERE id = $1")
        .await?;
    Ok(client
        .execute(&statement, &[&id, &token.as_bytes()])
        .await?
        == 1)
}

/// Blocks or unblocks an account; the account after, or `None` when there is none.
pub async fn set_blocked(
    client: &impl GenericClient,
    id: Uuid,
    blocked: bool,
) -> Result<Option<Account>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "UPDATE accounts SET blocked = $2 WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&id, &blocked]).await?;
    row.as_ref().map(account_from_row).transpose()
}

const LINE_COLUMNS: &str = "id, kind, available_leg, available, bet_id, event_id, reference, \
                            created_at, idempotency_key";

fn line_from_row(row: &Row) -> Result<Line, DbError> {
    let kind: String = row.try_get("kind")?;
    let event_id: Option<String> = row.try_get("event_id")?;
    Ok(Line {
        id: row.try_get("id")?,
        kind: LineKind::parse(&kind).ok_or_else(|| DbError::invalid("kind", &kind))?,
        amount: row.try_get("available_leg")?,
        available: row.try_get("available")?,
        bet_id: row.try_get("bet_id")?,
        event_id: event_id
            .map(|id| EventId::parse(id).map_err(|e| DbError::invalid("event_id", &e)))
            .transpose()?,
        reference: row.try_get("reference")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A deposit or withdrawal written earlier with `key`: its line and the key's request (the
/// amount moved and the reference).
pub async fn transfer_by_key(
    client: &impl GenericClient,
    account: Uuid,
    kind: LineKind,
    key: &IdempotencyKey,
) -> Result<Option<Line>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {LINE_COLUMNS} FROM ledger
             WHERE account_id = $1 AND kind = $2 AND idempotency_key = $3"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&account, &kind.as_str(), &key.as_str()])
        .await?;
    row.as_ref().map(line_from_row).transpose()
}

/// Money in from outside: `amount` onto the account's `available`. `None` when there is no
/// such account.
pub async fn deposit(
    client: &impl GenericClient,
    account: Uuid,
    amount: Money,
    reference: Option<&str>,
    key: &IdempotencyKey,
) -> Result<Option<Line>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "WITH account AS (
                 UPDATE accounts SET available = available + $2 WHERE id = $1
                 RETURNING id, available, stripe
             ), line AS (
                 INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                     outside_leg, available, reference, idempotency_key)
                 SELECT id, 'deposit', $2, 0, 0, -$2, available, $3, $4 FROM account
                 RETURNING {LINE_COLUMNS}
             ), totals AS (
                 UPDATE ledger_totals t
                 SET deposits = t.deposits + $2, available = t.available + $2
                 FROM account WHERE t.stripe = account.stripe
             )
             SELECT * FROM line"
        ))
        .await?;
    let row = client
        .query_opt(
            &statement,
            &[&account, &amount.value(), &reference, &key.as_str()],
        )
        .await?;
    row.as_ref().map(line_from_row).transpose()
}

/// Money out: `amount` off the account's `available`, only when the account is not blocked
/// and has at least that much available; the condition and the change are one `UPDATE`, so
/// concurrent withdrawals and bets never take more than there is. `None` when nothing moved
/// (no such account, blocked, or not enough available: [`get_account`] tells which).
pub async fn withdraw(
    client: &impl GenericClient,
    account: Uuid,
    amount: Money,
    key: &IdempotencyKey,
) -> Result<Option<Line>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "WITH account AS (
                 UPDATE accounts SET available = available - $2
                 WHERE id = $1 AND NOT blocked AND available >= $2
                 RETURNING id, available, stripe
             ), line AS (
                 INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                     outside_leg, available, idempotency_key)
                 SELECT id, 'withdrawal', -$2, 0, 0, $2, available, $3 FROM account
                 RETURNING {LINE_COLUMNS}
             ), totals AS (
                 UPDATE ledger_totals t
                 SET withdrawals = t.withdrawals + $2, available = t.available - $2
                 FROM account WHERE t.stripe = account.stripe
             )
             SELECT * FROM line"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&account, &amount.value(), &key.as_str()])
        .await?;
    row.as_ref().map(line_from_row).transpose()
}

/// Up to `limit` lines of an account, newest first, those before line `before` when given.
pub async fn statement_page(
    client: &impl GenericClient,
    account: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Line>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {LINE_COLUMNS} FROM ledger
             WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2)
             ORDER BY id DESC LIMIT $3"
        ))
        .await?;
    let rows = client
        .query(&statement, &[&account, &before, &limit])
        .await?;
    rows.iter().map(line_from_row).collect()
}

/// The book's money: the 16 stripes of the totals summed in one statement (one snapshot),
/// whatever the length of the ledger.
pub async fn ledger_totals(client: &impl GenericClient) -> Result<LedgerTotals, DbError> {
    let statement = client
        .prepare_cached(
            // Every stripe, by its key: once a long transaction (a backup, say) has made the
            // table grow with old versions of its rows, the index reads the 96 rows where a
            // scan would read every page.
            "SELECT sum(deposits) AS deposits, sum(withdrawals) AS withdrawals,
                    sum(available) AS available, sum(held) AS held, sum(book) AS book
             FROM ledger_totals WHERE stripe BETWEEN 0 AND 95",
        )
        .await?;
    let row = client.query_one(&statement, &[]).await?;
    let sum = |column: &str| -> Result<Decimal, DbError> {
        let value: Option<Decimal> = row.try_get(column)?;
        Ok(value.unwrap_or_default())
    };
    Ok(LedgerTotals {
        deposits: sum("deposits")?,
        withdrawals: sum("withdrawals")?,
        available: sum("available")?,
        held: sum("held")?,
        book: sum("book")?,
    })
}
