//! All SQL of bet-maker: one function per statement, each taking any client or transaction.
//! The pool, the timeouts and the error sorting are `service-support`'s.

use std::time::Duration;

use deadpool_postgres::Pool;

mod accounts;
mod bets;
mod book;
mod events;
mod exposure;
mod payouts;
mod placement;
mod rounds;
mod stakes;

pub use accounts::{
    accounts_page, deposit, get_account, ledger_totals, open_account, replace_token, set_blocked,
    statement_page, transfer_by_key, withdraw,
};
pub use bets::{
    bet_by_idempotency_key, bet_position, bets_on_events, bets_page, fetch_history, get_bet,
    open_history_cursor,
};
pub use book::{place_bet_within_limit, spread_limit};
pub use events::{apply_events, lock_events, open_events};
pub use exposure::{Exposure, event_exposure, exposures};
pub use payouts::{Paid, account_owing, due_events, take_results, unpaid};
pub use placement::{NewBet, PLACE_BET, Placement, place_bet};
pub use rounds::{Chunk, pay_chunk, postpone};

mod embedded {
    refinery::embed_migrations!("../migrations/bet-maker");
}

pub use service_support::db::{DbError, ping, pool};

/// Key of the advisory lock that serialises migrations between replicas.
const MIGRATION_LOCK: i64 = 0x626d_6d69_6772; // "bmmigr"

/// `DATABASE_URL` with the timeouts every connection gets, named `bet-maker`; with
/// `lock_timeout`, a statement waiting longer for a row lock fails (the HTTP pool: the consumer
/// holds an event's row only for the few milliseconds of one transaction, so a longer wait
/// means the database is in trouble, and the request answers 503 rather than holding a
/// connection).
pub fn pg_config(
    url: &str,
    lock_timeout: Option<Duration>,
) -> Result<tokio_postgres::Config, DbError> {
    service_support::db::pg_config(url, "bet-maker", lock_timeout)
}

/// The database of `config` made ready, with a pool of `max_size` connections: created when
/// missing, and the migrations of `migrations/bet-maker/` applied, one replica at a time.
pub async fn open(config: tokio_postgres::Config, max_size: usize) -> anyhow::Result<Pool> {
    service_support::db::open(
        config,
        max_size,
        MIGRATION_LOCK,
        embedded::migrations::runner(),
    )
    .await
}
