//! Placing a bet: the Idempotency-Key rules, the placement (and, when the bet's stripe of its
//! event's liability limit ran out, the placement against the whole limit), and why a bet is
//! refused, its account's money included.

use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::db::{self, DbError, NewBet, Placement};
use crate::domain::{Bet, BetRefused, Consent, EventId, IdempotencyKey, Money, MoneyRefused};
use crate::metrics::Metrics;

/// A bet request, parsed.
#[derive(Debug, Clone)]
pub struct BetRequest {
    /// The event to bet on.
    pub event_id: EventId,
    /// The stake.
    pub amount: Money,
    /// The price the bettor agreed to, when they said.
    pub consent: Option<Consent>,
    /// The account that places it and gives its stake; `None` for an anonymous bet.
    pub account: Option<Uuid>,
}

/// A bet and whether it was placed now or found from an earlier request with the same key.
#[derive(Debug)]
pub enum Placed {
    /// Placed by this request.
    New(Bet),
    /// Placed earlier with the same Idempotency-Key and the same body.
    Replayed(Bet),
}

/// Why a bet was not placed: a refusal of the bet itself, an Idempotency-Key used for
/// another bet, or the database.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// The bet is refused.
    #[error(transparent)]
    Refused(#[from] BetRefused),
    /// The Idempotency-Key was used for another bet.
    #[error("Idempotency-Key {0:?} was used for another bet")]
    KeyReused(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl PlaceError {
    /// The refusal's label on `bet_maker_bets_refused_total`; `None` for a failure.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Refused(refused) => Some(refused.reason()),
            Self::KeyReused(_) => Some("idempotency_key_reused"),
            Self::Database(_) => None,
        }
    }
}

impl From<deadpool_postgres::PoolError> for PlaceError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(error.into())
    }
}

/// Places a bet on an open event, at most once per Idempotency-Key of its account (or of the
/// anonymous bets).
pub async fn place_bet(
    pool: &Pool,
    metrics: &Metrics,
    request: BetRequest,
    key: Option<IdempotencyKey>,
) -> Result<Placed, PlaceError> {
    let outcome = place(pool, metrics, &request, key.as_ref()).await;
    if let Err(refused) = &outcome
        && let Some(reason) = refused.reason()
    {
        metrics.bets_refused.with_label_values(&[reason]).inc();
    }
    outcome
}

async fn place(
    pool: &Pool,
    metrics: &Metrics,
    request: &BetRequest,
    key: Option<&IdempotencyKey>,
) -> Result<Placed, PlaceError> {
    let mut client = pool.get().await?;
    if let Some(key) = key
        && let Some(earlier) = db::bet_by_idempotency_key(&client, request.account, key).await?
    {
        return replay(earlier, request, key);
    }
    let bet = NewBet {
        id: Uuid::now_v7(),
        event_id: &request.event_id,
        amount: request.amount,
        idempotency_key: key,
        consent: request.consent,
        account: request.account,
    };
    let mut attempts = 0;
    let placement = loop {
        attempts += 1;
        let mut placement = db::place_bet(&client, &bet).await;
        if let Ok(Placement::StripeFull) = placement {
            // Its connection's share of the liability limit is used up: decide on the whole
            // limit.
            metrics.limit_spreads.inc();
            placement = db::place_bet_within_limit(&mut client, &bet).await;
        }
        // A request with the same key may have placed the bet meanwhile: its commit came
        // first, and took the money (or the room) this one was refused for.
        if let (Ok(Placement::Unfunded | Placement::Refused(_)), Some(key)) = (&placement, key)
            && let Some(earlier) = db::bet_by_idempotency_key(&client, request.account, key).await?
        {
            return replay(earlier, request, key);
        }
        let Ok(Placement::Unfunded) = placement else {
            break placement;
        };
        match why_unfunded(&client, request).await? {
            // Money came in between the bet's check and this read: the bet may fit now.
            None if attempts < 3 => {}
            None => break Ok(Placement::Unfunded),
            Some(refused) => return Err(BetRefused::Funds(refused).into()),
        }
    };
    match (placement, key) {
        (Ok(Placement::Placed(bet)), _) => {
            metrics.bets_placed.inc();
            if let Some(account) = bet.account_id {
                metrics.ledger_lines.with_label_values(&["stake"]).inc();
                tracing::info!(bet_id = %bet.id, event_id = %bet.event_id, account_id = %account, amount = %bet.amount.value(), coefficient = %bet.coefficient, "bet placed");
            } else {
                tracing::info!(bet_id = %bet.id, event_id = %bet.event_id, amount = %bet.amount.value(), coefficient = %bet.coefficient, "bet placed");
            }
            Ok(Placed::New(bet))
        }
        (Ok(Placement::Refused(refused)), _) => Err(refused.into()),
        (Ok(Placement::StripeFull), _) => Err(DbError::InvalidRow(
            "a bet placed against the whole limit found its stripe full".to_owned(),
        )
        .into()),
        (Ok(Placement::Unfunded), _) => Err(DbError::InvalidRow(
            "an account that could not give a stake three times had it each time after".to_owned(),
        )
        .into()),
        // Another request with the same key committed between our look-up and our insert.
        (Err(DbError::Constraint(name)), Some(key))
            if name == "bets_idempotency_key_unique"
                || name == "bets_account_idempotency_key_unique" =>
        {
            match db::bet_by_idempotency_key(&client, request.account, key).await? {
                Some(earlier) => replay(earlier, request, key),
                None => {
                    Err(DbError::InvalidRow(format!("idempotency key {key:?} vanished")).into())
                }
            }
        }
        (Err(error), _) => Err(error.into()),
    }
}

/// Why the bet's account could not give its stake, read after the refusal: blocked, or less
/// available than the stake; `None` when neither holds any more (money came in meanwhile).
async fn why_unfunded(
    client: &deadpool_postgres::Client,
    request: &BetRequest,
) -> Result<Option<MoneyRefused>, DbError> {
    let Some(id) = request.account else {
        return Err(DbError::InvalidRow(
            "an anonymous bet was refused for its account's money".to_owned(),
        ));
    };
    let account = db::get_account(client, id)
        .await?
        .ok_or_else(|| DbError::InvalidRow(format!("account {id} is gone")))?;
    Ok(account.refusal(request.amount.value()))
}

/// The bet an earlier request with the same key placed, if this request is the same bet: the
/// same event, stake and consent to the price.
fn replay(
    (earlier, consent): (Bet, Option<Consent>),
    request: &BetRequest,
    key: &IdempotencyKey,
) -> Result<Placed, PlaceError> {
    if earlier.event_id == request.event_id
        && earlier.amount == request.amount
        && consent == request.consent
    {
        Ok(Placed::Replayed(earlier))
    } else {
        Err(PlaceError::KeyReused(key.as_str().to_owned()))
    }
}
