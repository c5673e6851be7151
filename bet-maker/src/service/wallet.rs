//! Accounts and the money that moves in and out of them: opening an account, its token,
//! deposits and withdrawals at most once per Idempotency-Key, each a balanced line of the
//! ledger.

use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::db::{self, DbError};
use crate::domain::{
    Account, AccountName, BettorToken, IdempotencyKey, Line, LineKind, Money, MoneyRefused,
    TokenHash,
};
use crate::metrics::Metrics;

/// A line and whether this request wrote it or an earlier one with the same key.
#[derive(Debug)]
pub enum Moved {
    /// Written by this request.
    New(Line),
    /// Written earlier with the same Idempotency-Key and the same request.
    Replayed(Line),
}

/// Why money did not move.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// No account with this id.
    #[error("no account with id {0}")]
    NoAccount(Uuid),
    /// The account cannot give the money.
    #[error(transparent)]
    Refused(#[from] MoneyRefused),
    /// The Idempotency-Key was used for another request.
    #[error("Idempotency-Key {0:?} was used for another request")]
    KeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<deadpool_postgres::PoolError> for MoveError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(error.into())
    }
}

/// A new account and its token, which only this answer shows.
pub async fn open_account(
    pool: &Pool,
    metrics: &Metrics,
    name: &AccountName,
) -> Result<(Account, BettorToken), DbError> {
    let token = BettorToken::generate()
        .map_err(|e| DbError::Unavailable(format!("no random bits for a token: {e}")))?;
    let client = pool.get().await?;
    let account = db::open_account(&client, Uuid::now_v7(), name, &token.hash()).await?;
    metrics.accounts_opened.inc();
    tracing::info!(account_id = %account.id, "account opened");
    Ok((account, token))
}

/// The account of `token`, after it took every result of its bets bet-maker knows ("pull on
/// touch": however far the payout worker is behind, a bettor never reads or spends a balance
/// that misses a settled, void or corrected bet).
pub async fn signed_in(
    pool: &Pool,
    metrics: &Metrics,
    token: &TokenHash,
) -> Result<Option<Account>, DbError> {
    let mut client = pool.get().await?;
    let Some((account, owes)) = db::account_owing(&client, token).await? else {
        return Ok(None);
    };
    if !owes {
        return Ok(Some(account));
    }
    let transaction = client.transaction().await?;
    let taken = db::take_results(&transaction, account.id).await?;
    transaction.commit().await?;
    if taken.paid > 0 {
        metrics.bets_paid.inc_by(taken.paid.unsigned_abs());
        tracing::info!(account_id = %account.id, bets = taken.paid, "results taken on touch");
    }
    // Read again even when this read took nothing: the worker may have paid the bets while
    // `take_results` waited for its chunk, after the account was first read.
    db::get_account(&client, account.id).await
}

/// A new token for the account; the old one stops working at once.
pub async fn rotate_token(pool: &Pool, account: Uuid) -> Result<BettorToken, DbError> {
    let token = BettorToken::generate()
        .map_err(|e| DbError::Unavailable(format!("no random bits for a token: {e}")))?;
    let client = pool.get().await?;
    if !db::replace_token(&client, account, &token.hash()).await? {
        return Err(DbError::InvalidRow(format!("account {account} is gone")));
    }
    tracing::info!(account_id = %account, "token replaced");
    Ok(token)
}

/// What a deposit or withdrawal asks for, to tell a replay from a reused key.
struct Transfer<'a> {
    kind: LineKind,
    /// Its effect on `available`.
    amount: rust_decimal::Decimal,
    reference: Option<&'a str>,
}

impl Transfer<'_> {
    fn is_written_by(&self, line: &Line) -> bool {
        line.kind == self.kind
            && line.amount == self.amount
            && line.reference.as_deref() == self.reference
    }
}

/// Money in for `account`, from the payment provider's callback: once per Idempotency-Key.
pub async fn deposit(
    pool: &Pool,
    metrics: &Metrics,
    account: Uuid,
    amount: Money,
    reference: Option<&str>,
    key: &IdempotencyKey,
) -> Result<Moved, MoveError> {
    let transfer = Transfer {
        kind: LineKind::Deposit,
        amount: amount.value(),
        reference,
    };
    once_per_key(pool, metrics, account, &transfer, key, async |client| {
        db::deposit(client, account, amount, reference, key).await
    })
    .await
}

/// Money out of `account` to the bettor: once per Idempotency-Key, never more than
/// `available`, never from a blocked account.
pub async fn withdraw(
    pool: &Pool,
    metrics: &Metrics,
    account: Uuid,
    amount: Money,
    key: &IdempotencyKey,
) -> Result<Moved, MoveError> {
    let transfer = Transfer {
        kind: LineKind::Withdrawal,
        amount: -amount.value(),
        reference: None,
    };
    once_per_key(pool, metrics, account, &transfer, key, async |client| {
        db::withdraw(client, account, amount, key).await
    })
    .await
}

/// The key's earlier line when there is one (a replay, or a key reused for another request);
/// else the movement, and when it wrote nothing, why. Two requests racing with one key: the
/// ledger's unique index lets one line in, and the other finds it.
async fn once_per_key(
    pool: &Pool,
    metrics: &Metrics,
    account: Uuid,
    transfer: &Transfer<'_>,
    key: &IdempotencyKey,
    write: impl AsyncFn(&deadpool_postgres::Client) -> Result<Option<Line>, DbError>,
) -> Result<Moved, MoveError> {
    let client = pool.get().await?;
    let earlier = |line: Line| {
        if transfer.is_written_by(&line) {
            Ok(Moved::Replayed(line))
        } else {
            Err(MoveError::KeyReused(key.as_str().to_owned()))
        }
    };
    if let Some(line) = db::transfer_by_key(&client, account, transfer.kind, key).await? {
        return earlier(line);
    }
    match write(&client).await {
        Ok(Some(line)) => {
            metrics
                .ledger_lines
                .with_label_values(&[transfer.kind.as_str()])
                .inc();
            tracing::info!(account_id = %account, line_id = line.id, kind = transfer.kind.as_str(),
                amount = %line.amount, "money moved");
            Ok(Moved::New(line))
        }
        // Nothing moved: unless a request with the same key moved it meanwhile (its commit
        // came first, and this one's condition no longer held), say why.
        Ok(None) => match db::transfer_by_key(&client, account, transfer.kind, key).await? {
            Some(line) => earlier(line),
            None => Err(why_not(&client, account, -transfer.amount).await),
        },
        Err(DbError::Constraint(name)) if name == "ledger_idempotency_idx" => {
            match db::transfer_by_key(&client, account, transfer.kind, key).await? {
                Some(line) => earlier(line),
                None => Err(DbError::Constraint(name).into()),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// Why a movement of `amount` out of `account` wrote nothing, read after it.
async fn why_not(
    client: &deadpool_postgres::Client,
    account: Uuid,
    amount: rust_decimal::Decimal,
) -> MoveError {
    match db::get_account(client, account).await {
        Ok(None) => MoveError::NoAccount(account),
        // Enough again by now (money came in since): the refusal says what was missing then.
        Ok(Some(found)) => found
            .refusal(amount)
            .unwrap_or(MoneyRefused::InsufficientFunds {
                available: found.available,
            })
            .into(),
        Err(error) => error.into(),
    }
}
