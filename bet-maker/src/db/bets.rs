//! Statements on `bets`: placing, counting and reading them. A bet's status is read through
//! its event (`BetStatus::of`): nothing here ever updates a bet.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::DbError;
use crate::domain::{AcceptOdds, Bet, BetFilter, BetStatus, Consent, IdempotencyKey, Money, Owner};

/// How many bets each of the events `ids` (each once) has: the sum of its tally stripes (at
/// most 16 rows each), not a count of its bets; an event without bets is not listed. Read after the events' row
/// locks were taken, it counts every bet each will ever have once it is closed.
pub async fn bets_on_events(
    client: &impl GenericClient,
    ids: &[&str],
) -> Result<Vec<(String, u64)>, DbError> {
    let statement = client
        .prepare_cached(
            // A join for the reason `lock_events` gives.
            "SELECT t.event_id, sum(t.bets)::bigint
             FROM unnest($1::text[]) AS wanted(id) JOIN event_tallies t ON t.event_id = wanted.id
             GROUP BY t.event_id",
        )
        .await?;
    let rows = client.query(&statement, &[&ids]).await?;
    rows.iter()
        .map(|row| {
            let bets: i64 = row.try_get(1)?;
            Ok((
                row.try_get(0)?,
                u64::try_from(bets).map_err(|e| DbError::invalid("tally", &e))?,
            ))
        })
        .collect()
}

/// When the wallet of bet `b` took its current result (`paid_bets`; none for an anonymous
/// bet, which is never looked up).
macro_rules! paid_at {
    () => {
        "CASE WHEN b.account_id IS NULL THEN NULL
              ELSE (SELECT p.paid_at FROM paid_bets p WHERE p.bet_id = b.id) END AS paid_at"
    };
}

/// A bet as served: its own columns, when its wallet took its result, and its status and
/// settlement time from its event.
macro_rules! bet_select {
    () => {
        concat!(
            "SELECT b.id, b.event_id, b.amount, b.coefficient, b.created_at, b.account_id, ",
            paid_at!(),
            ", e.status AS event_status, e.settled_at
             FROM bets b JOIN events e ON e.id = b.event_id"
        )
    };
}

pub(super) fn bet_from_row(row: &Row) -> Result<Bet, DbError> {
    let event_id: String = row.try_get("event_id")?;
    let amount: Decimal = row.try_get("amount")?;
    let status: String = row.try_get("event_status")?;
    let status =
        EventStatus::parse(&status).ok_or_else(|| DbError::invalid("event status", &status))?;
    Ok(Bet {
        id: row.try_get("id")?,
        event_id: EventId::parse(event_id).map_err(|e| DbError::invalid("event_id", &e))?,
        amount: Money::parse(amount)
            .map_err(|e| DbError::invalid("amount", &format!("amount {e}")))?,
        coefficient: row.try_get("coefficient")?,
        status: BetStatus::of(status),
        created_at: row.try_get("created_at")?,
        settled_at: row.try_get("settled_at")?,
        account_id: row.try_get("account_id")?,
        paid_at: row.try_get("paid_at")?,
    })
}

/// The bet placed with an idempotency key, if any, and the price its bettor agreed to: in the
/// key's scope, which is the account that sent it (`None`: the anonymous bets').
pub async fn bet_by_idempotency_key(
    client: &impl GenericClient,
    account: Option<Uuid>,
    key: &IdempotencyKey,
) -> Result<Option<(Bet, Option<Consent>)>, DbError> {
    macro_rules! by_key {
        ($scope:literal) => {
            concat!(
                "SELECT b.id, b.event_id, b.amount, b.coefficient, b.created_at, b.account_id, ",
                paid_at!(),
                ", e.status AS event_status, e.settled_at, b.accept_odds, b.accepted_coefficient
                 FROM bets b JOIN events e ON e.id = b.event_id
                 WHERE b.idempotency_key = $1 AND ",
                $scope
            )
        };
    }
    // One statement per scope, each matching its unique index.
    let row = match account {
        None => {
            let statement = client
                .prepare_cached(by_key!("b.account_id IS NULL"))
                .await?;
            client.query_opt(&statement, &[&key.as_str()]).await?
        }
        Some(account) => {
            let statement = client.prepare_cached(by_key!("b.account_id = $2")).await?;
            client
                .query_opt(&statement, &[&key.as_str(), &account])
                .await?
        }
    };
    row.map(|row| {
        let accept: Option<String> = row.try_get("accept_odds")?;
        let consent = accept
            .map(|text| {
                Ok::<_, DbError>(Consent {
                    accept: AcceptOdds::parse(&text)
                        .ok_or_else(|| DbError::invalid("accept_odds", &text))?,
                    coefficient: row.try_get("accepted_coefficient")?,
                })
            })
            .transpose()?;
        Ok((bet_from_row(&row)?, consent))
    })
    .transpose()
}

/// One bet.
pub async fn get_bet(client: &impl GenericClient, id: Uuid) -> Result<Option<Bet>, DbError> {
    let statement = client
        .prepare_cached(concat!(bet_select!(), " WHERE b.id = $1"))
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.as_ref().map(bet_from_row).transpose()
}

/// Where a page of the history starts (strictly older than this bet), and whose bet it is.
pub async fn bet_position(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<(i64, Option<Uuid>)>, DbError> {
    let statement = client
        .prepare_cached("SELECT seq, account_id FROM bets WHERE id = $1")
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .transpose()
}

/// The history, newest first, of the bets `owner` names. A status filter is one on the
/// event's status, checked on each bet read in `seq` order (ARCHITECTURE.md, "Bets follow
/// their event", says what it costs); one account's bets are read from their own index. One
/// statement per kind of owner, so that each is planned for its index.
fn history_sql(owner: Owner) -> &'static str {
    macro_rules! history {
        ($owner:literal) => {
            concat!(
                bet_select!(),
                "
                 WHERE ($1::text IS NULL OR e.status = $1) AND ($2::text IS NULL OR b.event_id = $2)
                   AND ($3::bigint IS NULL OR b.seq < $3) AND ",
                $owner,
                "
                 ORDER BY b.seq DESC LIMIT $5"
            )
        };
    }
    match owner {
        Owner::Anyone => history!("$4::uuid IS NULL"),
        Owner::Nobody => history!("$4::uuid IS NULL AND b.account_id IS NULL"),
        Owner::Account(_) => history!("b.account_id = $4"),
    }
}

/// A page of the history, newest first, strictly older than `before` when given.
pub async fn bets_page(
    client: &impl GenericClient,
    filter: &BetFilter,
    before: Option<i64>,
    limit: u16,
) -> Result<Vec<Bet>, DbError> {
    let statement = client.prepare_cached(history_sql(filter.owner)).await?;
    let status = filter.status.map(|status| status.event_status().as_str());
    let event = filter.event_id.as_ref().map(EventId::as_str);
    let account = filter.owner.account();
    let limit = Some(i64::from(limit));
    let parameters: [&(dyn ToSql + Sync); 5] = [&status, &event, &before, &account, &limit];
    let rows = client.query(&statement, &parameters).await?;
    rows.iter().map(bet_from_row).collect()
}

/// Opens a server-side cursor over the history (newest first, older than `before` when
/// given) in `transaction`.
pub async fn open_history_cursor(
    transaction: &deadpool_postgres::Transaction<'_>,
    filter: &BetFilter,
    before: Option<i64>,
) -> Result<tokio_postgres::Portal, DbError> {
    let statement = transaction
        .prepare_cached(history_sql(filter.owner))
        .await?;
    let status = filter.status.map(|status| status.event_status().as_str());
    let event = filter.event_id.as_ref().map(EventId::as_str);
    let account = filter.owner.account();
    // No limit: the cursor is read in batches.
    let limit: Option<i64> = None;
    let parameters: [&(dyn ToSql + Sync); 5] = [&status, &event, &before, &account, &limit];
    let portal = transaction.bind(&statement, &parameters).await?;
    Ok(portal)
}

/// The next `count` rows of a history cursor; fewer (or none) at the end.
pub async fn fetch_history(
    transaction: &deadpool_postgres::Transaction<'_>,
    portal: &tokio_postgres::Portal,
    count: i32,
) -> Result<Vec<Bet>, DbError> {
    let rows = transaction.query_portal(portal, count).await?;
    rows.iter().map(bet_from_row).collect()
}
