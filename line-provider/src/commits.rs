//! Group commit: the changes concurrent requests ask for are read, decided and written
//! together, one statement to read the changed events of a batch, one to write them and one to
//! insert its new events, each write one commit for all of its events and their outbox rows.
//!
//! A request hands its work to the [`Committer`] and waits for the answer: a new event to
//! insert, or a change of an event with the rule that decides it on the stored event. One
//! task does the work: it takes the first piece waiting and every other one already queued,
//! up to [`MAX_BATCH`], and never two of one event in a batch (the second waits for the
//! next). Nothing waits for a batch to fill: work that finds the task idle is done at once,
//! alone, so a single client sees the latency of one read and one write; under load, what
//! arrives while a batch commits makes the next one.
//!
//! Within one process no two changes of an event race: each batch reads what the one before
//! committed. A change that finds its event moved on when it writes (another replica changed
//! it in between) is decided again in the next batch, up to [`CHANGE_ATTEMPTS`] times.
//!
//! A batch whose write fails is written again one change at a time, so that a change the
//! database refuses fails alone and the others are written.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use deadpool_postgres::{GenericClient, Pool};
use shared_messages::{EventChange, EventId};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::db::{self, DbError, OutboxMessage};
use crate::domain::Event;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::outbox;

/// The most pieces of work in one batch.
pub const MAX_BATCH: usize = 128;
/// Work that may wait for the writer; a request finding the queue full waits for room.
const QUEUE: usize = 1024;
/// How many times a change is decided and written before the request gives up (503): each
/// failed write means another replica changed the event first.
const CHANGE_ATTEMPTS: usize = 50;

/// How a change is decided on the stored event at a time: the event it becomes, `None` when
/// nothing changes, or why it is refused.
pub type Decide =
    Box<dyn Fn(&Event, OffsetDateTime) -> Result<Option<Event>, ApiError> + Send + Sync>;

/// What a change came to.
#[derive(Debug)]
pub enum Changed {
    /// Written, with the message reporting it.
    Written {
        /// The event as it now is.
        event: Event,
        /// Its message, in the outbox.
        message: OutboxMessage,
    },
    /// Nothing to change: the event as it is.
    Unchanged(Event),
}

/// A piece of work waiting for the writer, and where its answer goes.
enum Work {
    /// Insert a new event (version 1) with its message; answers whether it was written (not
    /// when the id is taken).
    Insert {
        event: Box<Event>,
        message: OutboxMessage,
        answer: oneshot::Sender<Result<bool, DbError>>,
    },
    /// Decide a change on the stored event and write it.
    Change {
        id: EventId,
        kind: EventChange,
        decide: Decide,
        attempts: usize,
        answer: oneshot::Sender<Result<Changed, ApiError>>,
    },
}

impl Work {
    fn event_id(&self) -> &str {
        match self {
            Self::Insert { event, .. } => event.id.as_str(),
            Self::Change { id, .. } => id.as_str(),
        }
    }
}

/// Hands work to the writer task; cloned into every request. The writer stops once every
/// clone is dropped and what was queued is done.
#[derive(Debug, Clone)]
pub struct Committer {
    queue: mpsc::Sender<Work>,
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
                held: VecDeque::new(),
            }
            .run(),
        );
        Self { queue, metrics }
    }

    /// Inserts a new event with its first version and its message; `false` (nothing written)
    /// when the id is taken.
    pub async fn insert(&self, event: &Event, message: &OutboxMessage) -> Result<bool, DbError> {
        let (answer, answered) = oneshot::channel();
        self.hand(Work::Insert {
            event: Box::new(event.clone()),
            message: message.clone(),
            answer,
        })
        .await
        .map_err(|()| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Decides a change of event `id` on the stored event with `decide` and writes it with its
    /// message of `kind`, in version order with every other change of the event.
    pub async fn change(
        &self,
        id: &EventId,
        kind: EventChange,
        decide: Decide,
    ) -> Result<Changed, ApiError> {
        let (answer, answered) = oneshot::channel();
        self.hand(Work::Change {
            id: id.clone(),
            kind,
            decide,
            attempts: 0,
            answer,
        })
        .await
        .map_err(|()| ApiError::from(stopped()))?;
        answered.await.map_err(|_| ApiError::from(stopped()))?
    }

    async fn hand(&self, work: Work) -> Result<(), ()> {
        self.metrics.commit_waiting.inc();
        if self.queue.send(work).await.is_err() {
            self.metrics.commit_waiting.dec();
            return Err(());
        }
        Ok(())
    }
}

fn stopped() -> DbError {
    DbError::Unavailable("the writer of changes has stopped".into())
}

/// The task that does the batches, one at a time.
struct Writer {
    pool: Pool,
    metrics: Metrics,
    receiver: mpsc::Receiver<Work>,
    /// Work taken off the queue for a later batch: a change decided again, or work on an
    /// event already in the batch being collected.
    held: VecDeque<Work>,
}

impl Writer {
    async fn run(mut self) {
        while let Some(batch) = self.next_batch().await {
            let again = self.write(batch).await;
            // Before anything queued later, so they stay in order with newer changes.
            for work in again.into_iter().rev() {
                self.held.push_front(work);
            }
        }
    }

    /// The held work and what is queued, up to [`MAX_BATCH`], one piece per event (the first
    /// waiting when nothing is); `None` once every [`Committer`] is dropped and nothing waits.
    async fn next_batch(&mut self) -> Option<Vec<Work>> {
        if self.held.is_empty() {
            let first = self.receiver.recv().await?;
            self.held.push_back(self.taken(first));
        }
        while let Ok(next) = self.receiver.try_recv() {
            let next = self.taken(next);
            self.held.push_back(next);
            if self.held.len() >= MAX_BATCH {
                break;
            }
        }
        let mut batch: Vec<Work> = Vec::with_capacity(self.held.len());
        let mut later = VecDeque::new();
        while let Some(work) = self.held.pop_front() {
            let taken = batch.iter().any(|w| w.event_id() == work.event_id());
            if taken || batch.len() >= MAX_BATCH {
                later.push_back(work);
            } else {
                batch.push(work);
            }
        }
        self.held = later;
        Some(batch)
    }

    /// Work off the queue.
    fn taken(&self, work: Work) -> Work {
        self.metrics.commit_waiting.dec();
        work
    }

    /// Inserts the new events and decides and writes the changes, on one connection, and
    /// answers every piece of the batch but the changes to decide again, which it returns.
    async fn write(&self, batch: Vec<Work>) -> Vec<Work> {
        let started = Instant::now();
        let size = batch.len();
        let mut inserts = Vec::new();
        let mut changes = Vec::new();
        for work in batch {
            match work {
                Work::Insert {
                    event,
                    message,
                    answer,
                } => inserts.push((event, message, answer)),
                change @ Work::Change { .. } => changes.push(change),
            }
        }
        let client = match self.pool.get().await {
            Ok(client) => client,
            Err(error) => {
                let error = DbError::from(error);
                for (_, _, answer) in inserts {
                    let _ = answer.send(Err(DbError::Unavailable(error.to_string())));
                }
                for change in changes {
                    if let Work::Change { answer, .. } = change {
                        let _ = answer.send(Err(each(&error)));
                    }
                }
                return Vec::new();
            }
        };
        let ((), again) = tokio::join!(
            insert_all(&client, inserts),
            self.change_all(&client, changes)
        );
        self.metrics.commit_batch_changes.observe(size as f64);
        self.metrics
            .commit_batch_seconds
            .observe(started.elapsed().as_secs_f64());
        again
    }

    /// Reads the events of `changes` in one statement, decides each, writes those that change
    /// in one statement and answers them; returns those to decide again.
    async fn change_all(&self, client: &impl GenericClient, changes: Vec<Work>) -> Vec<Work> {
        if changes.is_empty() {
            return Vec::new();
        }
        let ids: Vec<&str> = changes.iter().map(Work::event_id).collect();
        let stored = match db::get_events(client, &ids).await {
            Ok(events) => events,
            Err(error) => {
                for change in changes {
                    if let Work::Change { answer, .. } = change {
                        let _ = answer.send(Err(each(&error)));
                    }
                }
                return Vec::new();
            }
        };
        let mut stored: HashMap<String, Event> = stored
            .into_iter()
            .map(|event| (event.id.to_string(), event))
            .collect();
        let now = OffsetDateTime::now_utc();
        let mut writes: Vec<Decided> = Vec::new();
        for change in changes {
            let Work::Change {
                id,
                kind,
                decide,
                attempts,
                answer,
            } = change
            else {
                continue;
            };
            let Some(current) = stored.remove(id.as_str()) else {
                let _ = answer.send(Err(ApiError::EventNotFound(id.to_string())));
                continue;
            };
            let event = match decide(&current, now) {
                Ok(Some(event)) => event,
                Ok(None) => {
                    let _ = answer.send(Ok(Changed::Unchanged(current)));
                    continue;
                }
                Err(refused) => {
                    let _ = answer.send(Err(refused));
                    continue;
                }
            };
            match outbox::message_for(&event, kind) {
                Ok(message) => writes.push(Decided {
                    change: Work::Change {
                        id,
                        kind,
                        decide,
                        attempts,
                        answer,
                    },
                    event,
                    message,
                }),
                Err(error) => {
                    let _ = answer.send(Err(ApiError::internal(error)));
                }
            }
        }
        self.write_changes(client, writes).await
    }

    /// Writes decided changes in one statement, or one at a time when it fails; answers them,
    /// and returns those whose event had moved on.
    async fn write_changes(&self, client: &impl GenericClient, writes: Vec<Decided>) -> Vec<Work> {
        if writes.is_empty() {
            return Vec::new();
        }
        let outcome = update(client, &writes).await;
        match outcome {
            Ok(written) => self.answer_changes(writes, &written),
            Err(error) if writes.len() == 1 => {
                if let Some(decided) = writes.into_iter().next() {
                    decided.fail(error.into());
                }
                Vec::new()
            }
            Err(error) => {
                tracing::warn!(%error, changes = writes.len(),
                    "a batch of changes failed; writing them one at a time");
                let mut again = Vec::new();
                for decided in writes {
                    let alone = [decided];
                    match update(client, &alone).await {
                        Ok(written) => {
                            again.extend(self.answer_changes(Vec::from(alone), &written));
                        }
                        Err(error) => {
                            let [decided] = alone;
                            decided.fail(error.into());
                        }
                    }
                }
                again
            }
        }
    }

    /// Answers the changes `written` names; returns the others to decide again, or answers
    /// them `event-busy` once they were tried [`CHANGE_ATTEMPTS`] times.
    fn answer_changes(&self, writes: Vec<Decided>, written: &[String]) -> Vec<Work> {
        let mut again = Vec::new();
        for Decided {
            change,
            event,
            message,
        } in writes
        {
            let Work::Change {
                id,
                kind,
                decide,
                attempts,
                answer,
            } = change
            else {
                continue;
            };
            if written.iter().any(|w| w == id.as_str()) {
                let _ = answer.send(Ok(Changed::Written { event, message }));
            } else if attempts + 1 >= CHANGE_ATTEMPTS {
                let _ = answer.send(Err(ApiError::EventBusy(id.to_string())));
            } else {
                self.metrics.change_retries.inc();
                again.push(Work::Change {
                    id,
                    kind,
                    decide,
                    attempts: attempts + 1,
                    answer,
                });
            }
        }
        again
    }
}

/// A change decided: the work it came from, the event it makes and its message.
struct Decided {
    change: Work,
    event: Event,
    message: OutboxMessage,
}

impl Decided {
    fn fail(self, error: ApiError) {
        if let Work::Change { answer, .. } = self.change {
            let _ = answer.send(Err(error));
        }
    }
}

/// The update statement of decided changes, in id order (so two replicas' batches lock shared
/// rows in the same order); the ids written.
async fn update(client: &impl GenericClient, writes: &[Decided]) -> Result<Vec<String>, DbError> {
    let mut changes: Vec<(&Event, &OutboxMessage)> = writes
        .iter()
        .map(|decided| (&decided.event, &decided.message))
        .collect();
    changes.sort_by(|a, b| a.0.id.as_str().cmp(b.0.id.as_str()));
    db::update_events_with_messages(client, &changes).await
}

/// A new event, its message, and where the answer goes.
type Insert = (
    Box<Event>,
    OutboxMessage,
    oneshot::Sender<Result<bool, DbError>>,
);

/// Inserts new events in one statement and answers each; when the statement fails, inserts
/// them again one at a time.
async fn insert_all(client: &impl GenericClient, inserts: Vec<Insert>) {
    if inserts.is_empty() {
        return;
    }
    match insert(client, &inserts).await {
        Ok(written) => {
            for (event, _, answer) in inserts {
                let _ = answer.send(Ok(written.iter().any(|id| id == event.id.as_str())));
            }
        }
        Err(error) if inserts.len() == 1 => {
            if let Some((_, _, answer)) = inserts.into_iter().next() {
                let _ = answer.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(%error, changes = inserts.len(),
                "a batch of new events failed; inserting them one at a time");
            for one in inserts {
                let alone = [one];
                let outcome = insert(client, &alone)
                    .await
                    .map(|written| !written.is_empty());
                let [(_, _, answer)] = alone;
                let _ = answer.send(outcome);
            }
        }
    }
}

/// The insert statement of new events; the ids written.
async fn insert(client: &impl GenericClient, inserts: &[Insert]) -> Result<Vec<String>, DbError> {
    let rows: Vec<(&Event, &OutboxMessage)> = inserts
        .iter()
        .map(|(event, message, _)| (&**event, message))
        .collect();
    db::insert_events_with_messages(client, &rows).await
}

/// The failure of a read for each change it concerns: the database unavailable (503) as it
/// was, anything else an internal error (500).
fn each(error: &DbError) -> ApiError {
    match error {
        DbError::Unavailable(reason) => DbError::Unavailable(reason.clone()).into(),
        DbError::LockTimeout => DbError::LockTimeout.into(),
        other => ApiError::internal(anyhow::anyhow!("{other}")),
    }
}
