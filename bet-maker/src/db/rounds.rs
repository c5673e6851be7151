//! The payout worker's rounds: an event's account bets paid a chunk at a time for its current
//! version ([`pay_chunk`]), the event marked paid when the last is ([`mark_paid`]), and a
//! failing event sent to the back of the line ([`postpone`]).

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::DbError;
use super::payouts::{due, pay_locked};

/// What a chunk of an event's payout came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Another replica's worker holds the event, or nothing is due on it any more.
    Skipped,
    /// `paid` bets paid; `done` when the event owes nothing more for its current version.
    Paid { paid: i64, done: bool },
}

/// Pays the next `size` account bets of `event` for its current version, in one transaction:
/// the event's place in `payouts` locked (`SKIP LOCKED`: one worker per event at a time), the
/// bets after it locked, then paid ([`pay_locked`]), the place moved on and the event sent to the back of the
/// line. A new version (a first result, or any correction, even back to an earlier result)
/// starts from the first bet. When the last bet is paid, the event is marked paid for that
/// version in a statement of its own ([`mark_paid`]).
pub async fn pay_chunk(
    client: &mut deadpool_postgres::Client,
    event: &str,
    size: i64,
) -> Result<Chunk, DbError> {
    let place = client
        .prepare_cached(
            "INSERT INTO payouts (event_id, version, turn) VALUES ($1, 0, nextval('payout_turns'))
             ON CONFLICT (event_id) DO NOTHING",
        )
        .await?;
    client.execute(&place, &[&event]).await?;
    let transaction = client.transaction().await?;
    let locked = transaction
        .prepare_cached(concat!(
            "SELECT p.version, p.after_seq, e.version AS current
             FROM payouts p JOIN events e ON e.id = p.event_id
             WHERE p.event_id = $1 AND ",
            due!("e"),
            " FOR UPDATE OF p SKIP LOCKED"
        ))
        .await?;
    let Some(row) = transaction.query_opt(&locked, &[&event]).await? else {
        return Ok(Chunk::Skipped);
    };
    let (paying, after, current): (i64, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let start = if paying == current { after } else { 0 };
    // The event's next account bets by (event, seq), through the index of those alone: a
    // range, not `event_id = $1`, which would let the planner drop the event from the order
    // and walk every bet of the book by `seq` until it met this event's.
    let lock = transaction
        .prepare_cached(
            "SELECT b.id, b.seq FROM bets b
             WHERE (b.event_id, b.seq) > ($1, $2) AND b.event_id <= $1
               AND b.account_id IS NOT NULL
             ORDER BY b.event_id, b.seq LIMIT $3 FOR NO KEY UPDATE OF b",
        )
        .await?;
    let parameters: [&(dyn ToSql + Sync); 3] = [&event, &start, &size];
    let rows = transaction.query(&lock, &parameters).await?;
    let ids: Vec<uuid::Uuid> = rows
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    let last_seq: Option<i64> = rows.last().map(|row| row.try_get("seq")).transpose()?;
    let chosen = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let paid = pay_locked(&transaction, &ids).await?;
    // The version the chunk paid for, read by its own statement. If a correction came in
    // since `current` was read, the bets before `start` took another result: start again.
    let version = paid.version.unwrap_or(current);
    let (after, done) = if version == current || start == 0 {
        (last_seq.unwrap_or(start), chosen < size)
    } else {
        (0, false)
    };
    let progress = transaction
        .prepare_cached(
            "UPDATE payouts SET version = $2, after_seq = $3, turn = nextval('payout_turns')
             WHERE event_id = $1",
        )
        .await?;
    transaction
        .execute(&progress, &[&event, &version, &after])
        .await?;
    transaction.commit().await?;
    if done && !mark_paid(client, event, version).await? {
        return Ok(Chunk::Paid {
            paid: paid.paid,
            done: false,
        });
    }
    Ok(Chunk::Paid {
        paid: paid.paid,
        done,
    })
}

/// Marks `event` paid for `version`, after its transaction committed (so that no lock of a
/// chunk is held while it waits for the event's row, which bets and the consumer take first):
/// only while the event still has that version and every one of its account bets took its
/// result (its tally's count equals its count of that result taken). False when it is not
/// marked: a newer version is due, or (which would be a defect, logged) a count disagrees, and
/// the round starts again from the first bet.
async fn mark_paid(
    client: &deadpool_postgres::Client,
    event: &str,
    version: i64,
) -> Result<bool, DbError> {
    let statement = client
        .prepare_cached(
            "WITH marked AS (
                 UPDATE events e SET paid_version = $2
                 WHERE e.id = $1 AND e.version = $2
                   AND (SELECT coalesce(sum(t.account_bets), 0) FROM event_tallies t
                        WHERE t.event_id = $1)
                     = (SELECT coalesce(sum(p.bets), 0) FROM paid_counts p
                        WHERE p.event_id = $1 AND p.result = e.status)
                 RETURNING e.id
             ), done AS (
                 DELETE FROM payouts WHERE event_id IN (SELECT id FROM marked)
             )
             SELECT (SELECT count(*) FROM marked) AS marked,
                    (SELECT version FROM events WHERE id = $1) AS current",
        )
        .await?;
    let row = client.query_one(&statement, &[&event, &version]).await?;
    let marked: i64 = row.try_get("marked")?;
    let current: i64 = row.try_get("current")?;
    if marked == 0 && current == version {
        tracing::error!(event_id = %event, version,
            "an event's bets do not add up to its count of paid bets; paying it again from the first bet");
        let restart = client
            .prepare_cached("UPDATE payouts SET after_seq = 0 WHERE event_id = $1")
            .await?;
        client.execute(&restart, &[&event]).await?;
    }
    Ok(marked == 1)
}

/// Sends `event` to the back of the line (its payout failed; the others go first).
pub async fn postpone(client: &impl GenericClient, event: &str) -> Result<(), DbError> {
    let statement = client
        .prepare_cached("UPDATE payouts SET turn = nextval('payout_turns') WHERE event_id = $1")
        .await?;
    client.execute(&statement, &[&event]).await?;
    Ok(())
}
