//! `GET /events` from memory: the open events as a ready JSON body, rebuilt from the database
//! only when it may have changed.
//!
//! The body is read again when
//! - this replica's consumer applied a change to `events` (it calls [`OpenEvents::invalidate`]
//!   after the commit), so on the replica that applied a change the list is never stale;
//! - the earliest deadline among the listed events passes (that event is no longer open);
//! - it is older than [`MAX_AGE`]: the bound on how long a change applied by *another* replica
//!   (replicas share the queue, so each change reaches one of them) takes to show here.
//!
//! A stale list can only show an event a little longer or a new one a little later: placing a
//! bet always checks the event in the database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use deadpool_postgres::Pool;
use time::OffsetDateTime;

use crate::db::{self, DbError};
use crate::domain::OpenEvent;

/// How long a body may be served without looking at the database again.
pub const MAX_AGE: Duration = Duration::from_millis(500);

/// The cached list of open events.
#[derive(Debug, Default)]
pub struct OpenEvents {
    /// Bumped on every change this replica applies.
    generation: AtomicU64,
    current: Mutex<Option<Arc<Snapshot>>>,
}

#[derive(Debug)]
struct Snapshot {
    generation: u64,
    body: Bytes,
    /// When the query started (a monotonic clock: a wall clock stepping back cannot keep a
    /// body longer than `MAX_AGE`).
    read_at: Instant,
    /// The earliest listed deadline: the body is stale from then on.
    first_deadline: Option<OffsetDateTime>,
}

impl OpenEvents {
    /// Records that `events` changed: the next request reads it again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The body of the open events (soonest deadline first) as `render` writes them; kept
    /// until it may be stale.
    pub async fn body<E: From<DbError>>(
        &self,
        pool: &Pool,
        render: impl FnOnce(&[OpenEvent]) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(body) = self.fresh() {
            return Ok(body);
        }
        // Read before the query: a change committed meanwhile makes this snapshot stale at once.
        let generation = self.generation.load(Ordering::Acquire);
        let read_at = Instant::now();
        let client = pool.get().await.map_err(DbError::from)?;
        let mut open = db::open_events(&client).await?;
        drop(client);
        let now = OffsetDateTime::now_utc();
        // The database filtered by its clock; filter by ours too, so the first deadline is ahead.
        open.retain(|event| event.deadline > now);
        let body = render(&open)?;
        let snapshot = Arc::new(Snapshot {
            generation,
            body: body.clone(),
            read_at,
            first_deadline: open.first().map(|first| first.deadline),
        });
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(snapshot);
        Ok(body)
    }

    fn fresh(&self) -> Option<Bytes> {
        let snapshot = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let current = snapshot.generation == self.generation.load(Ordering::Acquire)
            && snapshot.read_at.elapsed() < MAX_AGE
            && snapshot
                .first_deadline
                .is_none_or(|deadline| OffsetDateTime::now_utc() < deadline);
        current.then(|| snapshot.body.clone())
    }
}
