//! Building and running the application: the HTTP server, the consumer and (with accounts)
//! the payout worker, as sibling tasks under one shutdown (`service-support` runs them).

use std::sync::Arc;
use std::time::Duration;

use service_support::health::Health;
use service_support::http::{self, Site};
use service_support::run::{Definition, Parts, Service, Worker};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::consumer::Consumer;
use crate::metrics::Metrics;
use crate::open_events::OpenEvents;
use crate::payouts::Payer;
use crate::state::AppState;
use crate::streams::Streams;
use crate::{db, routes};

pub use service_support::run::shutdown_signal;

/// Connections to Postgres for HTTP requests.
const POOL_SIZE: usize = 16;
/// Connections to Postgres for the consumer.
const CONSUMER_POOL_SIZE: usize = 2;
/// Connections to Postgres for the payout worker (one chunk at a time).
const PAYER_POOL_SIZE: usize = 1;
/// How long a statement of an HTTP request waits for a row lock before it answers 503. The
/// consumer holds an event's row for one short transaction; a longer wait means trouble.
const HTTP_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// `GET /bets` streams served at once (one a client); each holds a connection until its client
/// has read all.
const HISTORY_STREAMS: usize = 4;
/// How long a stopping service waits for the consumer to finish the transaction in hand and
/// acknowledge it (a statement may take up to its 10 s timeout while Postgres struggles);
/// after that its deliveries go back to the queue.
const CONSUMER_STOP: Duration = Duration::from_secs(25);

/// bet-maker, built: listening, not yet serving; `run_until_stopped` serves.
pub type Application = Service<BetMaker>;

/// What bet-maker is: its HTTP server and the consumer.
#[derive(Debug)]
pub struct BetMaker;

impl Definition for BetMaker {
    const NAME: &'static str = "bet-maker";
    type Settings = Settings;
    type Worker = Workers;

    async fn build(settings: Settings) -> anyhow::Result<Parts<Workers>> {
        let service = &settings.service;
        let http_config = db::pg_config(&service.database_url, Some(HTTP_LOCK_TIMEOUT))?;
        let pool = db::open(http_config, POOL_SIZE).await?;
        // The consumer has connections of its own, so busy HTTP clients never hold up the
        // messages, and the consumer never takes a connection from them.
        let consumer_pool = db::pool(
            db::pg_config(&service.database_url, None)?,
            CONSUMER_POOL_SIZE,
        )?;
        let metrics = Metrics::new()?;
        let open_events = Arc::new(OpenEvents::default());
        let consumer = Consumer::new(
            consumer_pool.clone(),
            service.amqp_url.clone(),
            settings.service.topology.clone(),
            metrics.clone(),
            open_events.clone(),
        );
        let health = Health {
            service: "bet-maker",
            pool: pool.clone(),
            broker: consumer.broker_status(),
            while_broker_down: "new events and results wait in the queue",
            registry: metrics.registry().clone(),
        };
        // The worker has a connection of its own: busy HTTP clients never hold up payouts.
        let payer = if settings.accounts {
            let payer_pool =
                db::pool(db::pg_config(&service.database_url, None)?, PAYER_POOL_SIZE)?;
            Some(Payer::new(
                payer_pool,
                metrics.clone(),
                settings.payout_chunk,
            ))
        } else {
            None
        };
        let requests = metrics.http_requests.clone();
        let state = AppState {
            pool: pool.clone(),
            metrics,
            history_streams: Streams::new(HISTORY_STREAMS),
            open_events,
            accounts: settings.accounts,
            anonymous_bets: settings.anonymous_bets,
        };
        if service.admin_token.is_none() {
            tracing::warn!("ADMIN_TOKEN is not set: the exposure routes are open to anyone");
        }
        let server = http::serve(
            service,
            Site {
                service: "bet-maker",
                state,
                health,
                requests,
                routes: if settings.accounts {
                    routes::configure_with_accounts
                } else {
                    routes::configure
                },
                openapi: routes::document(settings.accounts),
                cors_allowed_origins: settings.cors_allowed_origins.clone(),
            },
        )?;
        let mut pools = vec![pool, consumer_pool];
        pools.extend(payer.as_ref().map(Payer::pool));
        Ok(Parts {
            server,
            worker: Workers { consumer, payer },
            pools,
        })
    }
}

/// bet-maker's background work: the consumer, and the payout worker when bettors have
/// accounts; both stop with the service.
#[derive(Debug)]
pub struct Workers {
    consumer: Consumer,
    payer: Option<Payer>,
}

impl Worker for Workers {
    const NAME: &'static str = "consumer";
    const GRACE: Duration = CONSUMER_STOP;

    async fn run(self, shutdown: CancellationToken) {
        match self.payer {
            Some(payer) => {
                tokio::join!(self.consumer.consume(shutdown.clone()), payer.run(shutdown));
            }
            None => self.consumer.consume(shutdown).await,
        }
    }
}
