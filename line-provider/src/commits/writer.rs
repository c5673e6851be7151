//! The writer task: batches of work, each new event inserted and each change decided and
//! written with the others of its batch.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use deadpool_postgres::Pool;
use futures_util::FutureExt;
use shared_messages::EventChange;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::Instrument;

use super::hand_back::{Why, fail_all, hand_back, is_unavailable};
use super::{Change, Changed, Handed, Insert, MAX_BATCH, QUEUE, Work, WriteError, committed};
use crate::db::{self, DbError, OutboxMessage};
use crate::domain::{Event, Refused};
use crate::metrics::Metrics;
use crate::outbox::{self, RelayHandle};

/// The task that does the batches, one at a time.
pub(super) struct Writer {
    pool: Pool,
    metrics: Metrics,
    relay: RelayHandle,
    receiver: mpsc::Receiver<Work>,
    /// Work off the queue not yet in a batch: work on an event already in the batch being
    /// made, in the order it came.
    held: VecDeque<Work>,
}

/// A change decided, waiting for its commit to be answered.
struct Decided {
    change: Change,
    event: Event,
    message: OutboxMessage,
}

impl Writer {
    pub(super) fn new(
        pool: Pool,
        metrics: Metrics,
        relay: RelayHandle,
        receiver: mpsc::Receiver<Work>,
    ) -> Self {
        for why in Why::ALL {
            metrics.commit_handed_back.with_label_values(&[why.label()]);
        }
        Self {
            pool,
            metrics,
            relay,
            receiver,
            held: VecDeque::new(),
        }
    }

    /// Does batches until every [`super::Committer`] is dropped and nothing waits. A batch
    /// that panics drops its answers (its requests answer 503) and the next one goes on.
    pub(super) async fn run(mut self) {
        while let Some(batch) = self.next_batch().await {
            let size = batch.len();
            let span = tracing::info_span!("commit_batch", work = size);
            let done = AssertUnwindSafe(self.write(batch).instrument(span))
                .catch_unwind()
                .await;
            if done.is_err() {
                tracing::error!(
                    work = size,
                    "a batch of changes panicked; its requests were dropped"
                );
            }
        }
    }

    /// What is held and queued, as a batch of up to [`MAX_BATCH`] events in the order the
    /// work came, one piece per event (the first waiting when nothing is); `None` once every
    /// [`super::Committer`] is dropped and nothing waits.
    async fn next_batch(&mut self) -> Option<Vec<Work>> {
        if self.held.is_empty() {
            let first = self.receiver.recv().await?;
            self.held.push_back(first);
        }
        while self.held.len() < QUEUE {
            let Ok(next) = self.receiver.try_recv() else {
                break;
            };
            self.held.push_back(next);
        }
        let mut batch: Vec<Work> = Vec::with_capacity(self.held.len().min(MAX_BATCH));
        let mut later = VecDeque::new();
        while let Some(work) = self.held.pop_front() {
            let event_taken = batch.iter().any(|w| w.event_id() == work.event_id());
            if event_taken || batch.len() >= MAX_BATCH {
                later.push_back(work);
            } else {
                batch.push(work);
            }
        }
        self.held = later;
        self.metrics.commit_waiting.sub(batch.len() as i64);
        Some(batch)
    }

    /// Inserts the new events and makes the changes, each on a connection of its own, and
    /// wakes the relay when something was written.
    async fn write(&self, batch: Vec<Work>) {
        let started = Instant::now();
        let size = batch.len();
        let mut inserts = Vec::new();
        let mut changes = Vec::new();
        for work in batch {
            match work {
                Work::Insert(insert) => inserts.push(*insert),
                Work::Change(change) => changes.push(change),
            }
        }
        let (inserted, changed) = tokio::join!(self.insert_all(inserts), self.change_all(changes));
        if inserted + changed > 0 {
            self.relay.wake();
        }
        self.metrics.commit_batch_changes.observe(size as f64);
        self.metrics
            .commit_batch_seconds
            .observe(started.elapsed().as_secs_f64());
    }

    /// Inserts new events in one statement and answers each; how many it wrote.
    async fn insert_all(&self, inserts: Vec<Insert>) -> usize {
        if inserts.is_empty() {
            return 0;
        }
        let rows: Vec<(&Event, &OutboxMessage)> = inserts
            .iter()
            .map(|insert| (&insert.event, &insert.message))
            .collect();
        let outcome = match self.pool.get().await {
            Ok(client) => db::insert_events_with_messages(&client, &rows).await,
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(written) => {
                let mut count = 0;
                for insert in inserts {
                    let was_written = written.iter().any(|id| id == insert.event.id.as_str());
                    if was_written {
                        count += 1;
                        insert.span.in_scope(|| {
                            committed(
                                &self.metrics,
                                &insert.event,
                                &insert.message,
                                EventChange::Created,
                            );
                        });
                    }
                    let _ = insert.answer.send(Ok(Handed::Done(was_written)));
                }
                count
            }
            Err(error) => {
                if !is_unavailable(&error) {
                    tracing::warn!(%error, events = inserts.len(),
                        "a batch of new events failed; each is inserted alone");
                }
                let answers = inserts.into_iter().map(|insert| insert.answer);
                fail_all(&self.metrics, answers, &error);
                0
            }
        }
    }

    /// Reads the changed events, decides each change and writes the changed ones in one
    /// statement, which is its own transaction (it locks the events, leaving out any another
    /// session holds, and writes those still at the version read), then answers them; how many
    /// it wrote. Two round trips and one commit for the batch.
    async fn change_all(&self, changes: Vec<Change>) -> usize {
        if changes.is_empty() {
            return 0;
        }
        let client = match self.pool.get().await {
            Ok(client) => client,
            Err(error) => {
                let answers = changes.into_iter().map(|change| change.answer);
                fail_all(&self.metrics, answers, &DbError::from(error));
                return 0;
            }
        };
        let ids: Vec<&str> = changes.iter().map(|change| change.id.as_str()).collect();
        let stored = match db::events_by_ids(&client, &ids).await {
            Ok(events) => events,
            Err(error) => {
                let answers = changes.into_iter().map(|change| change.answer);
                fail_all(&self.metrics, answers, &error);
                return 0;
            }
        };
        let decided = self.decide_all(changes, stored);
        if decided.is_empty() {
            return 0;
        }
        let rows: Vec<(&Event, &OutboxMessage)> = decided
            .iter()
            .map(|decided| (&decided.event, &decided.message))
            .collect();
        match db::update_events_unless_held_with_messages(&client, &rows).await {
            Ok(written) => self.answer_written(decided, &written),
            Err(error) => {
                if !is_unavailable(&error) {
                    tracing::warn!(%error, changes = decided.len(),
                        "a batch of changes failed; each is made alone");
                }
                let answers = decided.into_iter().map(|decided| decided.change.answer);
                fail_all(&self.metrics, answers, &error);
                0
            }
        }
    }

    /// Decides each change on its stored event: answers those refused or that change nothing,
    /// hands back those whose event was not read (missing: the change made alone says so), and
    /// returns the others with their new event and message.
    fn decide_all(&self, changes: Vec<Change>, stored: Vec<Event>) -> Vec<Decided> {
        let mut stored: HashMap<String, Event> = stored
            .into_iter()
            .map(|event| (event.id.to_string(), event))
            .collect();
        let now = OffsetDateTime::now_utc();
        let mut decided = Vec::new();
        for change in changes {
            let Some(current) = stored.remove(change.id.as_str()) else {
                hand_back(&self.metrics, change.answer, Why::NotFound);
                continue;
            };
            let event = match (change.decide)(&current, now) {
                Ok(Some(event)) => event,
                Ok(None) => {
                    let _ = change
                        .answer
                        .send(Ok(Handed::Done(Changed::Unchanged(current))));
                    continue;
                }
                Err(refused) => {
                    let _ = change.answer.send(Err(Refused::from(refused).into()));
                    continue;
                }
            };
            match outbox::message_for(&event, change.kind) {
                Ok(message) => decided.push(Decided {
                    change,
                    event,
                    message,
                }),
                Err(error) => {
                    let _ = change.answer.send(Err(WriteError::from(error)));
                }
            }
        }
        decided
    }

    /// Answers the committed changes; any the statement did not write (its event held by
    /// another session, or changed by one since it was read) is handed back to its request.
    fn answer_written(&self, decided: Vec<Decided>, written: &[String]) -> usize {
        let mut count = 0;
        for Decided {
            change,
            event,
            message,
        } in decided
        {
            if written.iter().any(|id| id == change.id.as_str()) {
                count += 1;
                change
                    .span
                    .in_scope(|| committed(&self.metrics, &event, &message, change.kind));
                let _ = change
                    .answer
                    .send(Ok(Handed::Done(Changed::Written(event))));
            } else {
                hand_back(&self.metrics, change.answer, Why::HeldOrChanged);
            }
        }
        count
    }
}
