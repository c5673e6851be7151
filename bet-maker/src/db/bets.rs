//! Statements on `bets`: placing, counting and reading them. A bet's status is read through
//! its event (`BetStatus::of`): nothing here ever updates a bet.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::DbError;
use crate::domain::{AcceptOdds, Amount, Bet, BetFilter, BetStatus, Consent, IdempotencyKey};

/// How many bets an event has: the sum of its tally stripes (at most 16 rows), not a count of
/// its bets. Read after the event's row lock was taken, it counts every bet the event will
/// ever have once the event is closed.
pub async fn bets_on_event(
    client: &impl GenericClient,
    event_id: &EventId,
) -> Result<u64, DbError> {
    let statement = client
        .prepare_cached(
            "SELECT coalesce(sum(bets), 0)::bigint FROM event_tallies WHERE event_id = $1",
        )
        .await?;
    let row = client.query_one(&statement, &[&event_id.as_str()]).await?;
    let bets: i64 = row.try_get(0)?;
    u64::try_from(bets).map_err(|e| DbError::invalid("tally", &e))
}

/// What placing a bet came to.
#[derive(Debug)]
pub enum Placement {
    /// The bet was stored.
    Placed(Bet),
    /// bet-maker knows no such event.
    UnknownEvent,
    /// The event is finished or its deadline passed.
    Closed {
        /// The event's status.
        status: EventStatus,
        /// Its deadline.
        deadline: OffsetDateTime,
    },
    /// The stake is outside the event's limits.
    StakeOutOfRange {
        /// The smallest stake accepted, if any.
        min_stake: Option<Decimal>,
        /// The largest stake accepted, if any.
        max_stake: Option<Decimal>,
    },
    /// The event's odds are not the ones the bettor accepted.
    OddsChanged {
        /// The current odds.
        coefficient: Decimal,
    },
    /// The bet would take the event's liability above its limit.
    LiabilityLimit {
        /// The largest stake still accepted at the current odds (possibly zero).
        max_amount: Decimal,
    },
    /// The share of the event's liability limit this connection's stripe holds is used up:
    /// place the bet against the whole limit ([`super::place_bet_within_limit`]).
    StripeFull,
}

/// A bet as served: its own columns, and its status and settlement time from its event.
macro_rules! bet_select {
    () => {
        "SELECT b.id, b.event_id, b.amount, b.coefficient, b.created_at,
                e.status AS event_status, e.settled_at
         FROM bets b JOIN events e ON e.id = b.event_id"
    };
}

/// The event as a bet sees it, locked against its next change (`FOR SHARE`: a finish waits for
/// the bet's commit, and the bet for the finish's), with the checks by the database clock; the
/// arguments name the parameters of the event, the amount, `accept_odds` and the odds seen.
macro_rules! event_for_bet {
    ($event:literal, $amount:literal, $accept:literal, $seen:literal) => {
        concat!(
            "SELECT id, coefficient, status, deadline, min_stake, max_stake, max_liability,
                    status = 'new' AND deadline > clock_timestamp() AS open, ",
            $amount,
            " >= coalesce(min_stake, ",
            $amount,
            ") AND ",
            $amount,
            " <= coalesce(max_stake, ",
            $amount,
            ") AS stake_ok,
                    CASE ",
            $accept,
            "::text WHEN 'exact' THEN coefficient = ",
            $seen,
            "::numeric
                                  WHEN 'higher' THEN coefficient >= ",
            $seen,
            "::numeric
                                  ELSE true END AS odds_ok
             FROM events WHERE id = ",
            $event,
            " FOR SHARE"
        )
    };
}
pub(super) use event_for_bet;

/// The statement of [`place_bet`]: `$1` the bet's id, `$2` the event, `$3` the amount, `$4` the
/// idempotency key or null, `$5` `accept_odds` or null, `$6` the odds accepted or null. Public
/// so that the benchmark's baseline runs exactly this.
pub const PLACE_BET: &str = concat!(
    "WITH event AS (",
    event_for_bet!("$2", "$3", "$5", "$6"),
    "), tally AS (
         INSERT INTO event_tallies AS tally (event_id, stripe, bets, stake, payout, budget)
         SELECT id, pg_backend_pid() % 16, 1, $3, $3 * coefficient,
                CASE WHEN max_liability IS NULL THEN NULL ELSE 0 END
         FROM event WHERE open AND stake_ok AND odds_ok
         ON CONFLICT (event_id, stripe) DO UPDATE
            SET bets = tally.bets + 1, stake = tally.stake + EXCLUDED.stake,
                payout = tally.payout + EXCLUDED.payout
            WHERE tally.budget IS NULL
               OR tally.payout - tally.stake + EXCLUDED.payout - EXCLUDED.stake <= tally.budget
         RETURNING event_id
     ), bet AS (
         INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key, accept_odds,
                           accepted_coefficient)
         SELECT $1, event.id, $3, event.coefficient, $4, $5, $6 FROM event JOIN tally ON true
         RETURNING id, event_id, amount, coefficient, created_at
     )
     SELECT event.status AS event_status, event.deadline AS event_deadline,
            event.coefficient AS event_coefficient, event.min_stake, event.max_stake,
            event.open, event.stake_ok, event.odds_ok, NULL::timestamptz AS settled_at,
            -- Only when the stripe had no room: what the whole limit has left, by the
            -- statement's snapshot (see `place_bet`).
            CASE WHEN bet.id IS NULL AND event.open AND event.stake_ok AND event.odds_ok
                      AND event.max_liability IS NOT NULL
                 THEN event.max_liability - (SELECT coalesce(sum(t.payout - t.stake), 0)
                                             FROM event_tallies t WHERE t.event_id = event.id)
            END AS room,
            bet.*
     FROM event LEFT JOIN bet ON true"
);

/// A bet about to be placed.
#[derive(Debug, Clone, Copy)]
pub struct NewBet<'a> {
    /// Its id.
    pub id: Uuid,
    /// The event.
    pub event_id: &'a EventId,
    /// The stake.
    pub amount: Amount,
    /// The client's Idempotency-Key.
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// The price the bettor agreed to.
    pub consent: Option<Consent>,
}

/// Places a bet in one statement: locks the event row against its next change, checks it is
/// open by the database clock, its stake against the event's limits and its odds against the
/// bettor's consent, takes the bet's liability from its connection's stripe of the event's
/// tally (within the stripe's budget when the event has a liability limit) and inserts the
/// bet at the event's current odds. [`Placement::StripeFull`] when the stripe's budget is used
/// up (or the stripe does not exist yet under a limit).
pub async fn place_bet(
    client: &impl GenericClient,
    bet: &NewBet<'_>,
) -> Result<Placement, DbError> {
    let statement = client.prepare_cached(PLACE_BET).await?;
    let key = bet.idempotency_key.map(IdempotencyKey::as_str);
    let accept = bet.consent.map(|consent| consent.accept.as_str());
    let seen = bet.consent.and_then(|consent| consent.coefficient);
    let parameters: [&(dyn ToSql + Sync); 6] = [
        &bet.id,
        &bet.event_id.as_str(),
        &bet.amount.value(),
        &key,
        &accept,
        &seen,
    ];
    let row = match client.query_opt(&statement, &parameters).await {
        Ok(row) => row,
        Err(error) => {
            return match DbError::from(error) {
                DbError::Constraint(name) if name == "event_tallies_within_budget" => {
                    Ok(Placement::StripeFull)
                }
                error => Err(error),
            };
        }
    };
    let Some(row) = row else {
        return Ok(Placement::UnknownEvent);
    };
    if let Some(refused) = refusal(&row)? {
        return Ok(refused);
    }
    if row.try_get::<_, Option<Uuid>>("id")?.is_none() {
        // The stripe is full. While the bet holds the event's row, its odds stand, so every
        // bet placed meanwhile takes liability of the same sign: what the snapshot shows as
        // taken can only be less than what is, and a bet that does not fit the snapshot's room
        // fits no later one. Refused here, a full book refuses without locking its stripes.
        let room: Option<Decimal> = row.try_get("room")?;
        let coefficient: Decimal = row.try_get("event_coefficient")?;
        let liability = bet.amount.value() * (coefficient - Decimal::ONE);
        if let Some(room) = room
            && liability > Decimal::ZERO
            && liability > room
        {
            return Ok(Placement::LiabilityLimit {
                max_amount: super::max_amount(
                    room,
                    coefficient,
                    row.try_get("min_stake")?,
                    row.try_get("max_stake")?,
                ),
            });
        }
        return Ok(Placement::StripeFull);
    }
    Ok(Placement::Placed(bet_from_row(&row)?))
}

/// Why the event refuses the bet, from the columns of [`event_for_bet!`]: closed first, then
/// the stake, then the odds; `None` when it takes it.
pub(super) fn refusal(row: &Row) -> Result<Option<Placement>, DbError> {
    if !row.try_get::<_, bool>("open")? {
        let status: String = row.try_get("event_status")?;
        return Ok(Some(Placement::Closed {
            status: EventStatus::parse(&status)
                .ok_or_else(|| DbError::invalid("status", &status))?,
            deadline: row.try_get("event_deadline")?,
        }));
    }
    if !row.try_get::<_, bool>("stake_ok")? {
        return Ok(Some(Placement::StakeOutOfRange {
            min_stake: row.try_get("min_stake")?,
            max_stake: row.try_get("max_stake")?,
        }));
    }
    if !row.try_get::<_, bool>("odds_ok")? {
        return Ok(Some(Placement::OddsChanged {
            coefficient: row.try_get("event_coefficient")?,
        }));
    }
    Ok(None)
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
        amount: Amount::new("amount", amount).map_err(|e| DbError::invalid("amount", &e))?,
        coefficient: row.try_get("coefficient")?,
        status: BetStatus::of(status),
        created_at: row.try_get("created_at")?,
        settled_at: row.try_get("settled_at")?,
    })
}

/// The bet placed with an idempotency key, if any, and the price its bettor agreed to.
pub async fn bet_by_idempotency_key(
    client: &impl GenericClient,
    key: &IdempotencyKey,
) -> Result<Option<(Bet, Option<Consent>)>, DbError> {
    let statement = client
        .prepare_cached(concat!(
            "SELECT b.id, b.event_id, b.amount, b.coefficient, b.created_at,
                    e.status AS event_status, e.settled_at, b.accept_odds, b.accepted_coefficient
             FROM bets b JOIN events e ON e.id = b.event_id",
            " WHERE b.idempotency_key = $1"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&key.as_str()]).await?;
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

/// Where a page of the history starts: strictly older than this bet.
pub async fn bet_position(client: &impl GenericClient, id: Uuid) -> Result<Option<i64>, DbError> {
    let statement = client
        .prepare_cached("SELECT seq FROM bets WHERE id = $1")
        .await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// The history, newest first. A status filter is one on the event's status, checked on each
/// bet read in `seq` order (ARCHITECTURE.md, "Bets follow their event", says what it costs).
const HISTORY_SQL: &str = concat!(
    bet_select!(),
    "
     WHERE ($1::text IS NULL OR e.status = $1) AND ($2::text IS NULL OR b.event_id = $2)
       AND ($3::bigint IS NULL OR b.seq < $3)
     ORDER BY b.seq DESC"
);

/// A page of the history, newest first, strictly older than `before` when given.
pub async fn bets_page(
    client: &impl GenericClient,
    filter: &BetFilter,
    before: Option<i64>,
    limit: u16,
) -> Result<Vec<Bet>, DbError> {
    let sql = format!("{HISTORY_SQL} LIMIT $4");
    let statement = client.prepare_cached(&sql).await?;
    let rows = client
        .query(
            &statement,
            &[
                &filter.status.map(|status| status.event_status().as_str()),
                &filter.event_id.as_ref().map(EventId::as_str),
                &before,
                &i64::from(limit),
            ],
        )
        .await?;
    rows.iter().map(bet_from_row).collect()
}

/// Opens a server-side cursor over the history (newest first, older than `before` when
/// given) in `transaction`.
pub async fn open_history_cursor(
    transaction: &deadpool_postgres::Transaction<'_>,
    filter: &BetFilter,
    before: Option<i64>,
) -> Result<tokio_postgres::Portal, DbError> {
    let statement = transaction.prepare_cached(HISTORY_SQL).await?;
    let portal = transaction
        .bind(
            &statement,
            &[
                &filter.status.map(|status| status.event_status().as_str()),
                &filter.event_id.as_ref().map(EventId::as_str),
                &before,
            ],
        )
        .await?;
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
