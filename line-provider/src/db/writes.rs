//! The writes of a batch of events: each event with its version in `event_versions` and its
//! message in the outbox, in one statement for the whole batch.

use deadpool_postgres::GenericClient;
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::outbox::stored_version;
use super::{DbError, OutboxMessage};
use crate::domain::{Event, Money, Reason};

/// One statement for a batch of changes, each of a different event: `$event_write` (an
/// `INSERT` or `UPDATE` of `events` from the rows of `input`, returning the ids it wrote; one
/// or more string literals, or macros that expand to one, joined), then, for each event it
/// wrote, the version into `event_versions` and the message into `outbox`, in the order of the
/// batch. The parameters are the columns of [`Columns`].
macro_rules! with_versions_and_messages {
    ($($event_write:expr),+) => {
        concat!(
            "WITH input AS (
                 SELECT * FROM unnest($1::text[], $2::numeric[], $3::timestamptz[], $4::text[],
                                      $5::bigint[], $6::timestamptz[], $7::text[],
                                      $8::numeric[], $9::numeric[], $10::numeric[], $11::uuid[],
                                      $12::text[], $13::text[], $14::timestamptz[],
                                      $15::integer[])
                 WITH ORDINALITY AS c(id, coefficient, deadline, status, version, at, reason,
                                      min_stake, max_stake, max_liability, message_id,
                                      routing_key, body, occurred_at, schema_version, n)
             ), event AS (",
            $($event_write,)+
            "), history AS (
                 INSERT INTO event_versions
                     (event_id, version, status, coefficient, deadline, reason, changed_at,
                      min_stake, max_stake, max_liability)
                 SELECT c.id, c.version, c.status, c.coefficient, c.deadline, c.reason, c.at,
                        c.min_stake, c.max_stake, c.max_liability
                 FROM input c JOIN event USING (id)
             )
             INSERT INTO outbox (message_id, routing_key, event_id, body, created_at,
                                 schema_version)
             SELECT c.message_id, c.routing_key, c.id, c.body, c.occurred_at, c.schema_version
             FROM input c JOIN event USING (id) ORDER BY c.n
             RETURNING event_id"
        )
    };
}

/// The `UPDATE` of each event of `input` from the version before it, for
/// [`with_versions_and_messages`]; what follows may narrow its `WHERE`.
macro_rules! update_to_the_next_version {
    () => {
        "UPDATE events SET coefficient = c.coefficient, deadline = c.deadline,
                           status = c.status, version = c.version, updated_at = c.at,
                           reason = c.reason, min_stake = c.min_stake,
                           max_stake = c.max_stake, max_liability = c.max_liability
         FROM input c
         WHERE events.id = c.id AND events.version = c.version - 1"
    };
}

/// Inserts new events, each with its first version in `event_versions` and its message, in one
/// statement; returns the ids written (an id already taken is not). One statement for a batch
/// is one round trip and one commit for all of its events (BENCHMARKS.md, figure 4).
pub async fn insert_events_with_messages(
    client: &impl GenericClient,
    changes: &[(&Event, &OutboxMessage)],
) -> Result<Vec<String>, DbError> {
    write_with_messages(
        client,
        with_versions_and_messages!(
            "INSERT INTO events (id, coefficient, deadline, status, version, created_at, updated_at,
                                 reason, min_stake, max_stake, max_liability)
             SELECT id, coefficient, deadline, status, version, at, at, reason, min_stake,
                    max_stake, max_liability
             FROM input ORDER BY n
             ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        changes,
        |event| event.created_at,
    )
    .await
}

/// Moves each event from the version before `event.version` to `event` and writes the version
/// to `event_versions` and its message, in one statement; returns the ids written. An event
/// whose stored version is no longer the one before is not: a concurrent change won, read it
/// again and decide again.
///
/// The `UPDATE` takes the row locks, so a concurrent change of the same event waits for this
/// statement's commit and then finds the version moved on: one event's messages enter the
/// outbox in version order. (The writer's batches use
/// [`update_events_unless_held_with_messages`], which does not wait.)
pub async fn update_events_with_messages(
    client: &impl GenericClient,
    changes: &[(&Event, &OutboxMessage)],
) -> Result<Vec<String>, DbError> {
    write_with_messages(
        client,
        with_versions_and_messages!(update_to_the_next_version!(), " RETURNING events.id"),
        changes,
        |event| event.updated_at,
    )
    .await
}

/// [`update_events_with_messages`] for the events no other session holds: the statement locks
/// the events it can without waiting, leaving out any another session holds (another
/// replica's change, a re-publication), and writes those whose version is still the one
/// before. Run on its own (autocommit), it is the whole transaction of a batch of changes: one
/// round trip and one commit. The ids left out are those to decide again.
pub async fn update_events_unless_held_with_messages(
    client: &impl GenericClient,
    changes: &[(&Event, &OutboxMessage)],
) -> Result<Vec<String>, DbError> {
    write_with_messages(
        client,
        with_versions_and_messages!(
            // The locks taken once, in a CTE of their own: as a sub-select of the `WHERE`,
            // the planner ran it again for every event of the batch (`EXPLAIN ANALYZE`: its
            // join, or with a sort its row locks, once per event; BENCHMARKS.md).
            "WITH locked AS MATERIALIZED (
                 SELECT e.id FROM input w JOIN events e ON e.id = w.id
                 FOR NO KEY UPDATE OF e SKIP LOCKED
             ) ",
            update_to_the_next_version!(),
            " AND events.id IN (SELECT id FROM locked) RETURNING events.id"
        ),
        changes,
        |event| event.updated_at,
    )
    .await
}

/// The columns of a batch of changes, as the parameters of [`with_versions_and_messages`]:
/// each event, the time of its change and its message.
#[derive(Default)]
struct Columns<'a> {
    ids: Vec<&'a str>,
    coefficients: Vec<Decimal>,
    deadlines: Vec<OffsetDateTime>,
    statuses: Vec<&'a str>,
    versions: Vec<i64>,
    at: Vec<OffsetDateTime>,
    reasons: Vec<Option<&'a str>>,
    min_stakes: Vec<Option<Decimal>>,
    max_stakes: Vec<Option<Decimal>>,
    max_liabilities: Vec<Option<Decimal>>,
    message_ids: Vec<uuid::Uuid>,
    routing_keys: Vec<&'a str>,
    bodies: Vec<&'a str>,
    occurred_at: Vec<OffsetDateTime>,
    schema_versions: Vec<i32>,
}

impl<'a> Columns<'a> {
    fn push(
        &mut self,
        event: &'a Event,
        at: OffsetDateTime,
        message: &'a OutboxMessage,
    ) -> Result<(), DbError> {
        if message.event_id != event.id.as_str() {
            return Err(DbError::InvalidRow(format!(
                "message of event {} given with event {}",
                message.event_id, event.id
            )));
        }
        let limits = &event.limits;
        self.ids.push(event.id.as_str());
        self.coefficients.push(event.coefficient.value());
        self.deadlines.push(event.deadline.value());
        self.statuses.push(event.status.as_str());
        self.versions.push(version(event)?);
        self.at.push(at);
        self.reasons.push(event.reason.as_ref().map(Reason::as_str));
        self.min_stakes.push(limits.min_stake().map(Money::value));
        self.max_stakes.push(limits.max_stake().map(Money::value));
        self.max_liabilities
            .push(limits.max_liability().map(Money::value));
        self.message_ids.push(message.message_id);
        self.routing_keys.push(&message.routing_key);
        self.bodies.push(&message.body);
        self.occurred_at.push(message.occurred_at);
        self.schema_versions
            .push(stored_version(message.schema_version)?);
        Ok(())
    }
}

/// Runs `sql` with the columns of `changes`, each event's change at `at(event)`; the ids of the
/// events it wrote.
async fn write_with_messages(
    client: &impl GenericClient,
    sql: &str,
    changes: &[(&Event, &OutboxMessage)],
    at: impl Fn(&Event) -> OffsetDateTime,
) -> Result<Vec<String>, DbError> {
    let mut columns = Columns::default();
    for (event, message) in changes {
        columns.push(event, at(event), message)?;
    }
    let statement = client.prepare_cached(sql).await?;
    let c = &columns;
    let rows = client
        .query(
            &statement,
            &[
                &c.ids,
                &c.coefficients,
                &c.deadlines,
                &c.statuses,
                &c.versions,
                &c.at,
                &c.reasons,
                &c.min_stakes,
                &c.max_stakes,
                &c.max_liabilities,
                &c.message_ids,
                &c.routing_keys,
                &c.bodies,
                &c.occurred_at,
                &c.schema_versions,
            ],
        )
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<_, String>(0)?))
        .collect()
}

fn version(event: &Event) -> Result<i64, DbError> {
    i64::try_from(event.version).map_err(|e| DbError::InvalidRow(format!("version: {e}")))
}
