//! All SQL of line-provider: one function per statement, each taking any client or transaction.
//! The pool, the timeouts and the error sorting are `service-support`'s.

use deadpool_postgres::Pool;

mod events;
mod history;
mod outbox;
mod writes;

pub use events::{events_by_ids, events_page_for_share, get_event, list_events};
pub use history::{EventVersion, event_history};
pub use outbox::{
    OutboxMessage, count_pending, enqueue, mark_published, pending_messages, prune_published,
    try_lock_relay, try_lock_relay_and_read_pending,
};
pub use writes::{
    insert_events_with_messages, update_events_unless_held_with_messages,
    update_events_with_messages,
};

mod embedded {
    refinery::embed_migrations!("../migrations/line-provider");
}

pub use service_support::db::{DbError, ping, pool};

/// Key of the advisory lock that serialises migrations between replicas.
const MIGRATION_LOCK: i64 = 0x6c70_6d69_6772; // "lpmigr"
/// Key of the advisory lock held by the one relay that publishes at a time.
pub const RELAY_LOCK: i64 = 0x6c70_7265_6c61; // "lprela"

/// `DATABASE_URL` with the timeouts every connection gets, named `line-provider`.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config, DbError> {
    service_support::db::pg_config(url, "line-provider", None)
}

/// The database of `config` made ready, with a pool of `max_size` connections: created when
/// missing, and the migrations of `migrations/line-provider/` applied, one replica at a time.
pub async fn open(config: tokio_postgres::Config, max_size: usize) -> anyhow::Result<Pool> {
    service_support::db::open(
        config,
        max_size,
        MIGRATION_LOCK,
        embedded::migrations::runner(),
    )
    .await
}
