//! Placing a bet: the one statement that checks the event, the stake, the odds and the
//! liability limit and inserts the bet ([`PLACE_BET`]), and what it came to.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::DbError;
use super::bets::bet_from_row;
use super::stakes::hold_stake;
use crate::domain::{Bet, BetRefused, Consent, IdempotencyKey, Money};

/// What placing a bet came to.
#[derive(Debug)]
pub enum Placement {
    /// The bet was stored.
    Placed(Bet),
    /// The bet was refused.
    Refused(BetRefused),
    /// The share of the event's liability limit this connection's stripe holds is used up:
    /// place the bet against the whole limit ([`super::place_bet_within_limit`]).
    StripeFull,
    /// The event took the bet, but its account is blocked or has less than the stake
    /// available; nothing was written.
    Unfunded,
}

/// The event as a bet sees it, locked against its next change (`FOR SHARE`: a finish waits for
/// the bet's commit, and the bet for the finish's), with the checks by the database clock; the
/// arguments name the parameters of the event, the amount, `accept_odds` and the odds seen.
macro_rules! event_for_bet {
    ($event:literal, $amount:literal, $accept:literal, $seen:literal) => {
        concat!(
            "SELECT id, coefficient, status, deadline, version, min_stake, max_stake, max_liability,
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
/// idempotency key or null, `$5` `accept_odds` or null, `$6` the odds accepted or null, `$7`
/// the account or null (an anonymous bet). Public so that the benchmark's baseline runs
/// exactly this.
pub const PLACE_BET: &str = concat!(
    "WITH event AS (",
    event_for_bet!("$2", "$3", "$5", "$6"),
    "), takes AS (
         SELECT id, $3 * coefficient AS payout FROM event WHERE open AND stake_ok AND odds_ok
     ), limited AS (
         -- Under a limit: this connection's stripe, only within its budget (checked again on
         -- the newest row version if another bet changed it meanwhile). No row: no room.
         UPDATE event_tallies AS tally
         SET bets = tally.bets + 1, stake = tally.stake + $3, payout = tally.payout + takes.payout,
             account_bets = tally.account_bets + ($7::uuid IS NOT NULL)::int
         FROM takes, event
         WHERE event.max_liability IS NOT NULL
           AND tally.event_id = takes.id AND tally.stripe = pg_backend_pid() % 16
           AND tally.payout - tally.stake + takes.payout - $3 <= tally.budget
         RETURNING tally.event_id
     ), unlimited AS (
         -- Without a limit: the stripe is made on the first bet. A budget left from a limit
         -- since removed makes the bet take the slow path, which drops the budgets.
         INSERT INTO event_tallies AS tally (event_id, stripe, bets, stake, payout, account_bets)
         SELECT takes.id, pg_backend_pid() % 16, 1, $3, takes.payout, ($7::uuid IS NOT NULL)::int
         FROM takes, event WHERE event.max_liability IS NULL
         ON CONFLICT (event_id, stripe) DO UPDATE
            SET bets = tally.bets + 1, stake = tally.stake + EXCLUDED.stake,
                payout = tally.payout + EXCLUDED.payout,
                account_bets = tally.account_bets + EXCLUDED.account_bets
            WHERE tally.budget IS NULL
         RETURNING event_id
     ), tally AS (
         SELECT event_id FROM limited UNION ALL SELECT event_id FROM unlimited
     ), ",
    // The stake comes last: a bet the event refuses, or whose liability does not fit, takes
    // nothing from the account.
    hold_stake!("$1", "$2", "$3", "$7::uuid", "tally"),
    ", bet AS (
         INSERT INTO bets (id, event_id, amount, coefficient, idempotency_key, accept_odds,
                           accepted_coefficient, account_id)
         SELECT $1, event.id, $3, event.coefficient, $4, $5, $6, $7
         FROM event JOIN tally ON true
         WHERE $7::uuid IS NULL OR EXISTS (SELECT FROM held)
         RETURNING id, event_id, amount, coefficient, created_at, account_id,
                   NULL::timestamptz AS paid_at
     )
     SELECT event.status AS event_status, event.deadline AS event_deadline,
            event.coefficient AS event_coefficient, event.min_stake, event.max_stake,
            event.open, event.stake_ok, event.odds_ok, NULL::timestamptz AS settled_at,
            -- Only when the stripe had no room, and the event row is the one the statement's
            -- snapshot shows (no change of it committed while the bet waited for its lock):
            -- what the whole limit has left by that snapshot (see `place_bet`).
            CASE WHEN bet.id IS NULL AND event.open AND event.stake_ok AND event.odds_ok
                      AND event.max_liability IS NOT NULL
                      AND event.version = (SELECT e.version FROM events e WHERE e.id = event.id)
                 THEN event.max_liability - (SELECT coalesce(sum(t.payout - t.stake), 0)
                                             FROM event_tallies t WHERE t.event_id = event.id)
            END AS room,
            -- The liability was taken but the account could not give the stake: fail the
            -- whole statement, so that nothing stays taken.
            CASE WHEN $7::uuid IS NOT NULL AND EXISTS (SELECT FROM tally)
                      AND NOT EXISTS (SELECT FROM held)
                 THEN refuse_unfunded_bet() END AS unfunded,
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
    pub amount: Money,
    /// The client's Idempotency-Key.
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// The price the bettor agreed to.
    pub consent: Option<Consent>,
    /// The account whose `available` gives the stake; `None` for an anonymous bet.
    pub account: Option<Uuid>,
}

/// Places a bet in one statement: locks the event row against its next change, checks it is
/// open by the database clock, its stake against the event's limits and its odds against the
/// bettor's consent, takes the bet's liability from its connection's stripe of the event's
/// tally (within the stripe's budget when the event has a liability limit) and inserts the
/// bet at the event's current odds, taking its stake from its account's `available` when it
/// has one. [`Placement::StripeFull`] when the stripe's budget is used
/// up (or the stripe does not exist yet under a limit).
pub async fn place_bet(
    client: &impl GenericClient,
    bet: &NewBet<'_>,
) -> Result<Placement, DbError> {
    let statement = client.prepare_cached(PLACE_BET).await?;
    let key = bet.idempotency_key.map(IdempotencyKey::as_str);
    let accept = bet.consent.map(|consent| consent.accept.as_str());
    let seen = bet.consent.and_then(|consent| consent.coefficient);
    let parameters: [&(dyn ToSql + Sync); 7] = [
        &bet.id,
        &bet.event_id.as_str(),
        &bet.amount.value(),
        &key,
        &accept,
        &seen,
        &bet.account,
    ];
    let row = match client.query_opt(&statement, &parameters).await {
        Ok(row) => row,
        Err(error) => {
            return match DbError::from(error) {
                DbError::Constraint(name) if name == "event_tallies_within_budget" => {
                    Ok(Placement::StripeFull)
                }
                DbError::Constraint(name) if name == "accounts_stake_within_available" => {
                    Ok(Placement::Unfunded)
                }
                error => Err(error),
            };
        }
    };
    let Some(row) = row else {
        return Ok(Placement::Refused(BetRefused::UnknownEvent(
            bet.event_id.clone(),
        )));
    };
    if let Some(refused) = refusal(&row, bet)? {
        return Ok(Placement::Refused(refused));
    }
    if row.try_get::<_, Option<Uuid>>("id")?.is_none() {
        // The stripe is full. While the bet holds the event's row, its odds stand, so every
        // bet placed meanwhile takes liability of the same sign as this one; and the event row
        // is the one the snapshot shows (else `room` is null), so every bet the snapshot
        // misses was placed at these odds too. What the snapshot shows as taken can then only
        // be less than what is (for a bet that takes liability), and a bet that does not fit
        // the snapshot's room fits no later one: refused here, a full book refuses without
        // locking its stripes.
        let room: Option<Decimal> = row.try_get("room")?;
        let coefficient: Decimal = row.try_get("event_coefficient")?;
        let liability = bet.amount.value() * (coefficient - Decimal::ONE);
        if let Some(room) = room
            && liability > Decimal::ZERO
            && liability > room
        {
            return Ok(Placement::Refused(BetRefused::LiabilityLimit {
                event_id: bet.event_id.clone(),
                max_amount: crate::domain::liability::max_amount(
                    room,
                    coefficient,
                    row.try_get("min_stake")?,
                    row.try_get("max_stake")?,
                ),
            }));
        }
        return Ok(Placement::StripeFull);
    }
    Ok(Placement::Placed(bet_from_row(&row)?))
}

/// Why the event refuses `bet`, from the columns of [`event_for_bet!`]: closed first, then
/// the stake, then the odds; `None` when it takes it.
pub(super) fn refusal(row: &Row, bet: &NewBet<'_>) -> Result<Option<BetRefused>, DbError> {
    let event_id = bet.event_id.clone();
    if !row.try_get::<_, bool>("open")? {
        let status: String = row.try_get("event_status")?;
        return Ok(Some(BetRefused::Closed {
            event_id,
            status: EventStatus::parse(&status)
                .ok_or_else(|| DbError::invalid("status", &status))?,
            deadline: row.try_get("event_deadline")?,
        }));
    }
    if !row.try_get::<_, bool>("stake_ok")? {
        return Ok(Some(BetRefused::StakeOutOfRange {
            event_id,
            amount: bet.amount.value(),
            min_stake: row.try_get("min_stake")?,
            max_stake: row.try_get("max_stake")?,
        }));
    }
    if !row.try_get::<_, bool>("odds_ok")? {
        return Ok(Some(BetRefused::OddsChanged {
            event_id,
            coefficient: row.try_get("event_coefficient")?,
        }));
    }
    Ok(None)
}
