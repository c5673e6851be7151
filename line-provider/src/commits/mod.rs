//! Group commit: the changes concurrent requests ask for are read, decided and written
//! together, each statement serving a whole batch: one statement reads the events a batch
//! changes and one, its own transaction, writes them with their outbox rows; one statement
//! inserts its new events.
//!
//! A request hands its work to the [`Committer`] and waits for the answer: a new event to
//! insert, or a change of an event with the rule that decides it on the stored event. One
//! task does the work ([`writer`]): it takes the first piece waiting and every other one
//! already queued, up to [`MAX_BATCH`] events, and never two pieces on one event in a batch
//! (the second waits for the next, which reads what the first wrote). Nothing waits for a
//! batch to fill: work that finds the task idle is done at once, so a single client sees the
//! latency of one transaction; under load, what arrives while a batch commits makes the next
//! one.
//!
//! The batch's write locks its rows without waiting (`SKIP LOCKED`) and writes an event only
//! at the version read, so an event another session holds (another replica's change, a
//! re-publication) or changed meanwhile holds up nothing else: its change is handed back to
//! its request, which makes it alone and waits for the row as a change always did
//! ([`alone`]), at most [`ALONE`] requests at a time so that they never take the pool from the
//! writer. A change of an event the batch did not find is handed
//! back too (made alone, it answers 404), and a batch that fails because of one piece of it is
//! handed back the same way, so that the piece fails alone; one that fails because the
//! database is unavailable answers every piece with that. Each hand-back is counted by why
//! (`line_provider_commit_handed_back_total{reason}`).
//!
//! So a write goes one way: a request hands its work to the [`Committer`] and gets back the
//! event written, or why it was not ([`WriteError`]); whether the writer or the request made
//! it does not leave this module. Re-publishing every event is written here too
//! ([`republish`]).

mod alone;
mod hand_back;
mod republish;
mod writer;

use std::sync::Arc;

use deadpool_postgres::Pool;
use shared_messages::{EventChange, EventId};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::db::{DbError, OutboxMessage};
use crate::domain::{ChangeRefused, Event, Refused};
use crate::metrics::Metrics;
use crate::outbox::{self, RelayHandle};

/// The most events in one batch.
const MAX_BATCH: usize = 128;
/// Work that may wait for the writer; a request finding the queue full waits for room.
const QUEUE: usize = 1024;
/// Requests doing work alone at a time, each on a connection of the pool's 16.
const ALONE: usize = 4;

/// How a change is decided on the stored event at a time: the event it becomes, `None` when
/// nothing changes, or why the event's rules refuse it.
type Decide =
    Arc<dyn Fn(&Event, OffsetDateTime) -> Result<Option<Event>, ChangeRefused> + Send + Sync>;

/// Why a write was not made.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The event's rules or the stored events refuse it.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The database failed or is unavailable.
    #[error(transparent)]
    Database(#[from] DbError),
    /// A message could not be made of the event.
    #[error("the message of a change could not be made")]
    Message(#[from] serde_json::Error),
}

impl From<deadpool_postgres::PoolError> for WriteError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(error.into())
    }
}

impl From<tokio_postgres::Error> for WriteError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(error.into())
    }
}

/// What a change came to.
#[derive(Debug)]
enum Changed {
    /// Written, with the message reporting it (counted, logged, and the relay woken).
    Written(Event),
    /// Nothing to change: the event as it is.
    Unchanged(Event),
}

/// The writer's answer to a piece of work.
#[derive(Debug)]
enum Handed<T> {
    /// Done.
    Done(T),
    /// To be done alone, by the request: the event's row is held by another session or was
    /// changed by one since the batch read it, the batch read no such event, or the batch
    /// failed because of one of its pieces.
    Alone,
}

/// A new event to insert (version 1) with its message; answered whether it was written (not
/// when the id is taken).
struct Insert {
    event: Event,
    message: OutboxMessage,
    answer: oneshot::Sender<Result<Handed<bool>, DbError>>,
    /// The request's span, for the log line of the change.
    span: tracing::Span,
}

/// A change to decide on the stored event and write, with its message of `kind`.
struct Change {
    id: EventId,
    kind: EventChange,
    decide: Decide,
    answer: oneshot::Sender<Result<Handed<Changed>, WriteError>>,
    /// The request's span, for the log line of the change.
    span: tracing::Span,
}

/// A piece of work for the writer.
enum Work {
    Insert(Box<Insert>),
    Change(Change),
}

impl Work {
    fn event_id(&self) -> &str {
        match self {
            Self::Insert(insert) => insert.event.id.as_str(),
            Self::Change(change) => change.id.as_str(),
        }
    }
}

/// Writes events and their messages; cloned into every request. The writer task stops once
/// every clone is dropped and what was queued is done.
#[derive(Debug, Clone)]
pub struct Committer {
    queue: mpsc::Sender<Work>,
    /// For work done alone and for re-publishing.
    pool: Pool,
    metrics: Metrics,
    relay: RelayHandle,
    /// Leave to do work alone ([`ALONE`] at a time).
    alone: Arc<Semaphore>,
}

impl Committer {
    /// Starts the writer task on the current runtime; whoever writes messages wakes `relay`.
    pub fn start(pool: Pool, metrics: Metrics, relay: RelayHandle) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let writer = writer::Writer::new(pool.clone(), metrics.clone(), relay.clone(), receiver);
        tokio::spawn(writer.run());
        Self {
            queue,
            pool,
            metrics,
            relay,
            alone: Arc::new(Semaphore::new(ALONE)),
        }
    }

    /// Inserts `event` (its first version) with its `event.created` message; refused when its
    /// id is taken.
    pub async fn insert(&self, event: Event) -> Result<Event, WriteError> {
        let message = outbox::message_for(&event, EventChange::Created)?;
        let (answer, answered) = oneshot::channel();
        let insert = Insert {
            event: event.clone(),
            message: message.clone(),
            answer,
            span: tracing::Span::current(),
        };
        self.hand(Work::Insert(Box::new(insert))).await?;
        let written = match answered.await.map_err(|_| stopped())?? {
            Handed::Done(written) => written,
            Handed::Alone => alone::insert(self, &event, &message).await?,
        };
        if !written {
            return Err(Refused::Exists(event.id).into());
        }
        Ok(event)
    }

    /// Decides a change of event `id` on the stored event with `decide` and writes what it
    /// becomes with its message of `kind`, in a batch after every change of the event handed
    /// to the writer before it (one handed back and made alone races, by the version check,
    /// with those after it); the event as it is when `decide` changes nothing.
    pub async fn change<R>(
        &self,
        id: &EventId,
        kind: EventChange,
        decide: impl Fn(&Event, OffsetDateTime) -> Result<Option<Event>, R> + Send + Sync + 'static,
    ) -> Result<Event, WriteError>
    where
        ChangeRefused: From<R>,
    {
        let decide: Decide =
            Arc::new(move |current, at| decide(current, at).map_err(ChangeRefused::from));
        let (answer, answered) = oneshot::channel();
        let change = Change {
            id: id.clone(),
            kind,
            decide: decide.clone(),
            answer,
            span: tracing::Span::current(),
        };
        self.hand(Work::Change(change)).await?;
        match answered.await.map_err(|_| stopped())?? {
            Handed::Done(Changed::Written(event) | Changed::Unchanged(event)) => Ok(event),
            Handed::Alone => alone::change(self, id, kind, &decide).await,
        }
    }

    /// Queues `work`; counted as waiting until it is taken into a batch (a request dropped
    /// while waiting for room queues nothing and counts nothing).
    async fn hand(&self, work: Work) -> Result<(), DbError> {
        let room = self.queue.reserve().await.map_err(|_| stopped())?;
        self.metrics.commit_waiting.inc();
        room.send(work);
        Ok(())
    }
}

fn stopped() -> DbError {
    DbError::Unavailable("the writer of changes has stopped".into())
}

/// After a change and its message committed: counts and logs it (the relay is woken by
/// whoever committed, once for all it wrote).
fn committed(metrics: &Metrics, event: &Event, message: &OutboxMessage, change: EventChange) {
    metrics
        .event_changes
        .with_label_values(&[change.routing_key()])
        .inc();
    tracing::info!(event_id = %event.id, version = event.version, routing_key = %change,
        message_id = %message.message_id, "event changed");
}
