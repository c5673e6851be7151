//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::health;
use service_support::problem::Problem;
use utoipa::OpenApi;

use super::{bets, events, history};

/// The OpenAPI 3 document of every route.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "bet-maker", description = "Bettors bet on the events line-provider publishes; bets settle when an event finishes."),
    paths(
        events::list, bets::place, history::list, bets::get,
        health::live, health::ready, health::metrics
    ),
    components(schemas(Problem)),
    tags(
        (name = "events", description = "Events open for betting"),
        (name = "bets", description = "Placing bets and their history"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;
