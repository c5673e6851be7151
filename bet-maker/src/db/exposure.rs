//! Exposure: what the book stands to lose on an event, read from its tally (at most 16 rows)
//! however many bets it has.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use shared_messages::{EventId, EventStatus};

use super::DbError;
use super::payouts::unpaid_of;

/// What the book stands to lose on an event, from its tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The event.
    pub event_id: EventId,
    /// Its status.
    pub status: EventStatus,
    /// How many bets it has.
    pub bets: i64,
    /// Their stakes.
    pub stake: Decimal,
    /// What they pay if the event is won (stakes included), exact.
    pub payout_if_win: Decimal,
    /// The event's liability limit, if any.
    pub max_liability: Option<Decimal>,
    /// Its account bets whose current result some wallet has not taken yet.
    pub unpaid_bets: i64,
}

impl Exposure {
    /// What the book loses if the event is won: `payout_if_win − stake`, exact.
    pub fn liability(&self) -> Decimal {
        self.payout_if_win - self.stake
    }
}

macro_rules! exposure_select {
    ($join:literal, $where:literal, $having:literal) => {
        concat!(
            "SELECT e.id, e.status, e.max_liability, coalesce(sum(t.bets), 0)::bigint AS bets,
                    coalesce(sum(t.stake), 0) AS stake, coalesce(sum(t.payout), 0) AS payout, (",
            unpaid_of!("e"),
            ")::bigint AS unpaid_bets
             FROM events e ",
            $join,
            " event_tallies t ON t.event_id = e.id ",
            $where,
            " GROUP BY e.id ",
            $having,
            " ORDER BY e.id"
        )
    };
}

fn exposure_from_row(row: &tokio_postgres::Row) -> Result<Exposure, DbError> {
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    Ok(Exposure {
        event_id: EventId::parse(id).map_err(|e| DbError::invalid("id", &e))?,
        status: EventStatus::parse(&status).ok_or_else(|| DbError::invalid("status", &status))?,
        bets: row.try_get("bets")?,
        stake: row.try_get("stake")?,
        payout_if_win: row.try_get("payout")?,
        max_liability: row.try_get("max_liability")?,
        unpaid_bets: row.try_get("unpaid_bets")?,
    })
}

/// One event's exposure (zero for an event without bets); `None` for an unknown event.
pub async fn event_exposure(
    client: &impl GenericClient,
    id: &EventId,
) -> Result<Option<Exposure>, DbError> {
    let statement = client
        .prepare_cached(exposure_select!("LEFT JOIN", "WHERE e.id = $1", ""))
        .await?;
    let row = client.query_opt(&statement, &[&id.as_str()]).await?;
    row.as_ref().map(exposure_from_row).transpose()
}

/// The exposure of every event that has bets, by event id.
pub async fn exposures(client: &impl GenericClient) -> Result<Vec<Exposure>, DbError> {
    let statement = client
        .prepare_cached(exposure_select!("JOIN", "", "HAVING sum(t.bets) > 0"))
        .await?;
    let rows = client.query(&statement, &[]).await?;
    rows.iter().map(exposure_from_row).collect()
}
