//! Results taken into wallets. One statement ([`pay!`]) posts, for each bet a selection names,
//! the difference between what its wallet should hold for its event's current result and what
//! it took (its row in `paid_bets`): a `won`, `lost` or `void` line the first time, a
//! `correction` after. The payout worker runs it over an event's account bets a chunk at a
//! time (`rounds.rs`); a bettor's own reads run it over their bets on the events still due
//! ([`take_results`]).
//!
//! Whoever pays locks the bets first, in a statement of its own (`FOR NO KEY UPDATE`, by
//! `seq`), and pays them in the next: that one's snapshot, taken once the locks are held, sees
//! what any other payer of those bets committed. (In one statement, a payer that waited for a
//! lock would read another's `paid_bets` as its snapshot had them, and pay twice.)

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::DbError;
use super::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::domain::{Account, TokenHash};

/// An event's unpaid account bets, for the event row `$e` (due or not): its account bets
/// (its tally) minus those whose wallet took its current result (`paid_counts`).
macro_rules! unpaid_of {
    ($e:literal) => {
        concat!(
            "CASE WHEN ",
            $e,
            ".status = 'new' OR ",
            $e,
            ".paid_version = ",
            $e,
            ".version THEN 0
                  ELSE (SELECT coalesce(sum(t.account_bets), 0) FROM event_tallies t
                        WHERE t.event_id = ",
            $e,
            ".id)
                     - (SELECT coalesce(sum(p.bets), 0) FROM paid_counts p
                        WHERE p.event_id = ",
            $e,
            ".id AND p.result = ",
            $e,
            ".status) END"
        )
    };
}
pub(super) use unpaid_of;

/// The bets `$1` names (locked by the caller's previous statement) with what [`pay!`] needs:
/// the result their event has and the one their wallet took.
macro_rules! locked_bets {
    () => {
        "SELECT b.id, b.seq, b.account_id, b.event_id, b.amount, b.coefficient,
                p.result AS paid_result, e.status AS result, e.version AS event_version
         FROM bets b JOIN events e ON e.id = b.event_id
              LEFT JOIN paid_bets p ON p.bet_id = b.id
         WHERE b.id = ANY($1::uuid[]) AND e.status <> 'new'"
    };
}

/// Pays the bets `$chosen` selects: their legs (`wallet_legs` of the current result minus
/// those of the result taken), the accounts locked in id order before any is changed, one line
/// per bet with the balance after it, the sums on one of the payouts' stripes of the totals
/// (16–31, by connection) after every account, and each bet's row of `paid_bets` (the result
/// taken, and when).
/// Then each event's count of bets per result taken (`paid_counts`, by connection). Locks go
/// bets (by `seq`), accounts (by id), one stripe, the counts: the same order everywhere.
macro_rules! pay {
    ($chosen:expr) => {
        concat!(
            "WITH chosen AS (",
            $chosen,
            "), legs AS (
                 SELECT c.id, c.seq, c.account_id, c.event_id, c.result, c.paid_result,
                        CASE WHEN c.paid_result IS NOT NULL THEN 'correction'
                             WHEN c.result = 'finished_win' THEN 'won'
                             WHEN c.result = 'finished_lose' THEN 'lost'
                             ELSE 'void' END AS kind,
                        target.available - taken.available AS available_leg,
                        target.held - taken.held AS held_leg,
                        target.book - taken.book AS book_leg
                 FROM chosen c,
                      LATERAL wallet_legs(c.result, c.amount, c.coefficient) AS target,
                      LATERAL wallet_legs(c.paid_result, c.amount, c.coefficient) AS taken
                 WHERE c.paid_result IS DISTINCT FROM c.result
             ), locked AS (
                 SELECT a.id FROM accounts a WHERE a.id IN (SELECT account_id FROM legs)
                 ORDER BY a.id FOR NO KEY UPDATE
             ), sums AS (
                 -- The scalar subquery runs once, first: every account is locked, in order,
                 -- before the first is changed.
                 SELECT account_id, sum(available_leg) AS available, sum(held_leg) AS held
                 FROM legs WHERE (SELECT count(*) FROM locked) >= 0 GROUP BY account_id
             ), moved AS (
                 UPDATE accounts a SET available = a.available + s.available,
                                       held = a.held + s.held
                 FROM sums s WHERE a.id = s.account_id
                 RETURNING a.id, a.available
             ), lines AS (
                 INSERT INTO ledger (account_id, kind, available_leg, held_leg, book_leg,
                                     outside_leg, available, bet_id, event_id)
                 SELECT l.account_id, l.kind, l.available_leg, l.held_leg, l.book_leg, 0,
                        m.available - coalesce(sum(l.available_leg) OVER (
                            PARTITION BY l.account_id ORDER BY l.seq DESC
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
                        l.id, l.event_id
                 FROM legs l JOIN moved m ON m.id = l.account_id
                 ORDER BY l.seq
                 RETURNING available_leg, held_leg, book_leg
             ), totals AS (
                 UPDATE ledger_totals t SET available = t.available + s.available,
                                            held = t.held + s.held, book = t.book + s.book
                 FROM (SELECT sum(available_leg) AS available, sum(held_leg) AS held,
                              sum(book_leg) AS book FROM lines) s
                 WHERE t.stripe = 16 + pg_backend_pid() % 16 AND s.available IS NOT NULL
                 RETURNING t.stripe
             ), counted AS (
                 -- After the totals (the subquery), rows in key order: the same lock order
                 -- for every payer.
                 INSERT INTO paid_counts AS p (event_id, result, stripe, bets)
                 SELECT event_id, result, pg_backend_pid() % 16, sum(change)
                 FROM (SELECT event_id, result, 1 AS change FROM legs
                       UNION ALL
                       SELECT event_id, paid_result, -1 FROM legs WHERE paid_result IS NOT NULL
                      ) AS changes
                 WHERE (SELECT count(*) FROM totals) >= 0
                 GROUP BY event_id, result ORDER BY event_id, result
                 ON CONFLICT (event_id, result, stripe) DO UPDATE SET bets = p.bets + EXCLUDED.bets
             ), paid AS (
                 INSERT INTO paid_bets AS p (bet_id, result, paid_at)
                 SELECT id, result, now() FROM legs ORDER BY id
                 ON CONFLICT (bet_id) DO UPDATE SET result = EXCLUDED.result,
                                                    paid_at = EXCLUDED.paid_at
             )
             SELECT (SELECT count(*) FROM chosen) AS chosen,
                    (SELECT max(seq) FROM chosen) AS last_seq,
                    (SELECT count(*) FROM legs) AS paid,
                    (SELECT max(event_version) FROM chosen) AS version"
        )
    };
}

/// What one payment statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// Bets it looked at.
    pub chosen: i64,
    /// The last of them by `seq`.
    pub last_seq: Option<i64>,
    /// Bets whose wallet took a result (one line each).
    pub paid: i64,
    /// The version of the event they were paid for (a chunk's one event's).
    pub version: Option<i64>,
}

pub(super) fn paid_from_row(row: &tokio_postgres::Row) -> Result<Paid, DbError> {
    Ok(Paid {
        chosen: row.try_get("chosen")?,
        last_seq: row.try_get("last_seq")?,
        paid: row.try_get("paid")?,
        version: row.try_get("version")?,
    })
}

/// The events some wallet has not taken the current result of: a final status whose version
/// is not paid, as the generated column `due` says (which the planner has statistics of, and
/// reads through its partial index: a comparison of two columns it would guess true for
/// nearly every event, and scan them all).
macro_rules! due {
    ($e:literal) => {
        concat!($e, ".due")
    };
}
pub(super) use due;

/// The account a token belongs to, and whether it has a bet on an event still due (so that
/// [`take_results`] has something to take): one statement, the common case needs no other.
pub async fn account_owing(
    client: &impl GenericClient,
    token: &TokenHash,
) -> Result<Option<(Account, bool)>, DbError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS}, EXISTS (
                 SELECT FROM bets b WHERE b.account_id = a.id
                   AND b.event_id = ANY(ARRAY(SELECT e.id FROM events e WHERE {}))) AS owes
             FROM accounts a WHERE token_hash = $1",
            due!("e")
        ))
        .await?;
    let row = client.query_opt(&statement, &[&token.as_bytes()]).await?;
    row.map(|row| Ok((account_from_row(&row)?, row.try_get("owes")?)))
        .transpose()
}

/// Takes every known result of the account's bets into its wallet, before the account is read
/// or moves money: its bets on the events still due (few: the worker keeps up; found from the
/// due events' ids, whatever the account's history) whose wallet has not taken their event's
/// result, locked, then each one's difference posted; in a transaction, so that the locks of
/// its first statement hold through its second.
pub async fn take_results(
    client: &deadpool_postgres::Transaction<'_>,
    account: Uuid,
) -> Result<Paid, DbError> {
    let lock = client
        .prepare_cached(concat!(
            "SELECT b.id FROM bets b JOIN events e ON e.id = b.event_id
                  LEFT JOIN paid_bets p ON p.bet_id = b.id
             WHERE b.account_id = $1
               AND b.event_id = ANY(ARRAY(SELECT e.id FROM events e WHERE ",
            due!("e"),
            "))
               AND ",
            due!("e"),
            " AND p.result IS DISTINCT FROM e.status
             ORDER BY b.seq FOR NO KEY UPDATE OF b"
        ))
        .await?;
    let ids: Vec<Uuid> = client
        .query(&lock, &[&account])
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    pay_locked(client, &ids).await
}

/// Pays the bets `ids`, which the caller's transaction holds locked: [`pay!`] over them.
pub(super) async fn pay_locked(
    client: &deadpool_postgres::Transaction<'_>,
    ids: &[Uuid],
) -> Result<Paid, DbError> {
    if ids.is_empty() {
        return Ok(Paid {
            chosen: 0,
            last_seq: None,
            paid: 0,
            version: None,
        });
    }
    let statement = client
        .prepare_cached(pay!(concat!(locked_bets!(), " ORDER BY b.seq")))
        .await?;
    paid_from_row(&client.query_one(&statement, &[&ids]).await?)
}

/// Up to `limit` events some wallet has not taken the current result of: those the worker has
/// not visited yet first, in the order their results came, then those it visited least
/// recently.
pub async fn due_events(client: &impl GenericClient, limit: i64) -> Result<Vec<String>, DbError> {
    let statement = client
        .prepare_cached(concat!(
            "SELECT e.id FROM events e LEFT JOIN payouts p ON p.event_id = e.id WHERE ",
            due!("e"),
            " ORDER BY p.turn NULLS FIRST, e.settled_at, e.id LIMIT $1"
        ))
        .await?;
    let rows = client.query(&statement, &[&limit]).await?;
    rows.iter()
        .map(|row| row.try_get(0).map_err(Into::into))
        .collect()
}

/// The account bets whose event's current result some wallet has not taken, and since when
/// the oldest of those results is known: over the due events only, each read from its tally
/// and its counts of results taken (at most 64 rows an event), however many bets it has.
pub async fn unpaid(
    client: &impl GenericClient,
) -> Result<(i64, Option<time::OffsetDateTime>), DbError> {
    let statement = client
        .prepare_cached(concat!(
            "SELECT coalesce(sum(unpaid), 0)::bigint, min(settled_at) FILTER (WHERE unpaid > 0)
             FROM (SELECT ",
            unpaid_of!("e"),
            " AS unpaid, e.settled_at FROM events e WHERE ",
            due!("e"),
            ") AS due"
        ))
        .await?;
    let row = client.query_one(&statement, &[]).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
