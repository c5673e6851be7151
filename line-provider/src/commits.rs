//! Group commit: the changes concurrent requests have decided are written together, one
//! statement for the new events of a batch and one for the changed ones, each statement one
//! commit for all of its events and their outbox rows.
//!
//! A request hands its change to the [`Committer`] and waits for the answer: whether the change
//! was written (an id already taken, or an event that moved on to another version, is not).
//! One task writes: it takes the first change waiting and every other one already queued, up
//! to [`MAX_BATCH`], and never two changes of one event in a batch (the second waits for the
//! next). Nothing waits for a batch to fill: a change that finds the task idle is written at
//! once, alone, so a single client sees the latency of one statement; under load, the changes
//! that arrive while a batch commits make the next one.
//!
//! A batch whose statement fails is written again one change at a time, so that a change the
//! database refuses fails alone and the others are written.

use std::time::Instant;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use crate::db::{self, DbError, OutboxMessage};
use crate::domain::Event;
use crate::metrics::Metrics;

/// The most changes in one statement.
pub const MAX_BATCH: usize = 128;
/// Changes that may wait for the writer; a request finding the queue full waits for room.
const QUEUE: usize = 1024;

/// What the writer is asked to do with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Insert a new event (version 1).
    Insert,
    /// Move an event from the version before to this one.
    Update,
}

/// A change waiting for the writer, and where its answer goes.
#[derive(Debug)]
struct Pending {
    write: Write,
    event: Event,
    message: OutboxMessage,
    written: oneshot::Sender<Result<bool, DbError>>,
}

/// Hands changes to the writer task; cloned into every request. The writer stops once every
/// clone is dropped and what was queued is written.
#[derive(Debug, Clone)]
pub struct Committer {
    queue: mpsc::Sender<Pending>,
    metrics: Metrics,
}

impl Committer {
    /// Starts the writer task on the current runtime.
    pub fn start(pool: Pool, metrics: Metrics) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(
            Writer {
                pool,
                metrics: metrics.clone(),
                receiver,
                held: None,
            }
            .run(),
        );
        Self { queue, metrics }
    }

    /// Inserts a new event with its first version and its message; `false` (nothing written)
    /// when the id is taken.
    pub async fn insert(&self, event: &Event, message: &OutboxMessage) -> Result<bool, DbError> {
        self.write(Write::Insert, event, message).await
    }

    /// Moves an event from the version before `event.version` to `event`, with its message;
    /// `false` (nothing written) when the stored event is no longer at that version.
    pub async fn update(&self, event: &Event, message: &OutboxMessage) -> Result<bool, DbError> {
        self.write(Write::Update, event, message).await
    }

    async fn write(
        &self,
        write: Write,
        event: &Event,
        message: &OutboxMessage,
    ) -> Result<bool, DbError> {
        let (written, answer) = oneshot::channel();
        let pending = Pending {
            write,
            event: event.clone(),
            message: message.clone(),
            written,
        };
        self.metrics.commit_waiting.inc();
        if self.queue.send(pending).await.is_err() {
            self.metrics.commit_waiting.dec();
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> DbError {
    DbError::Unavailable("the writer of changes has stopped".into())
}

/// The task that writes the batches, one at a time.
struct Writer {
    pool: Pool,
    metrics: Metrics,
    receiver: mpsc::Receiver<Pending>,
    /// A change of an event already in the batch being collected: the first of the next one.
    held: Option<Pending>,
}

impl Writer {
    async fn run(mut self) {
        while let Some(batch) = self.next_batch().await {
            self.write(batch).await;
        }
    }

    /// The first change waiting and every other one already queued, up to [`MAX_BATCH`],
    /// one per event; `None` once every [`Committer`] is dropped and nothing waits.
    async fn next_batch(&mut self) -> Option<Vec<Pending>> {
        let first = match self.held.take() {
            Some(held) => held,
            None => {
                let first = self.receiver.recv().await?;
                self.taken(first)
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let Ok(next) = self.receiver.try_recv() else {
                break;
            };
            let next = self.taken(next);
            if batch
                .iter()
                .any(|pending| pending.event.id == next.event.id)
            {
                self.held = Some(next);
                break;
            }
            batch.push(next);
        }
        Some(batch)
    }

    /// A change off the queue.
    fn taken(&self, pending: Pending) -> Pending {
        self.metrics.commit_waiting.dec();
        pending
    }

    /// Writes the new events and the changed ones, both statements on one connection, and
    /// answers every change of the batch.
    async fn write(&self, batch: Vec<Pending>) {
        let started = Instant::now();
        let size = batch.len();
        let (inserts, mut updates): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|pending| pending.write == Write::Insert);
        updates.sort_by(|a, b| a.event.id.as_str().cmp(b.event.id.as_str()));
        let client = match self.pool.get().await {
            Ok(client) => client,
            Err(error) => {
                let error = DbError::from(error);
                for pending in inserts.into_iter().chain(updates) {
                    let _ = pending
                        .written
                        .send(Err(DbError::Unavailable(error.to_string())));
                }
                return;
            }
        };
        tokio::join!(
            write_group(&client, Write::Insert, inserts),
            write_group(&client, Write::Update, updates)
        );
        self.metrics.commit_batch_changes.observe(size as f64);
        self.metrics
            .commit_batch_seconds
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Writes changes of one kind in one statement and answers each; when the statement fails,
/// writes them again one at a time.
async fn write_group(
    client: &impl deadpool_postgres::GenericClient,
    write: Write,
    group: Vec<Pending>,
) {
    if group.is_empty() {
        return;
    }
    let outcome = statement(client, write, &group).await;
    match outcome {
        Ok(written) => {
            for pending in group {
                let was_written = written.iter().any(|id| id == pending.event.id.as_str());
                let _ = pending.written.send(Ok(was_written));
            }
        }
        Err(error) if group.len() == 1 => {
            if let Some(pending) = group.into_iter().next() {
                let _ = pending.written.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(%error, changes = group.len(),
                "a batch of changes failed; writing them one at a time");
            for pending in group {
                let outcome = statement(client, write, std::slice::from_ref(&pending))
                    .await
                    .map(|written| !written.is_empty());
                let _ = pending.written.send(outcome);
            }
        }
    }
}

/// The statement of `write` for `group`: the ids written.
async fn statement(
    client: &impl deadpool_postgres::GenericClient,
    write: Write,
    group: &[Pending],
) -> Result<Vec<String>, DbError> {
    let changes: Vec<(&Event, &OutboxMessage)> = group
        .iter()
        .map(|pending| (&pending.event, &pending.message))
        .collect();
    match write {
        Write::Insert => db::insert_events_with_messages(client, &changes).await,
        Write::Update => db::update_events_with_messages(client, &changes).await,
    }
}
