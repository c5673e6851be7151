//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::auth::OperatorTokenScheme;
use service_support::health;
use service_support::problem::Problem;
use utoipa::OpenApi;

use super::{bets, events, exposure, history};

/// The OpenAPI 3 document of every route.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "bet-maker", description = "Bettors bet on the events line-provider publishes; bets settle when an event finishes."),
    paths(
        events::list, bets::place, history::list, bets::get,
        exposure::list, exposure::get,
        health::live, health::ready, health::metrics
    ),
    components(schemas(Problem)),
    modifiers(&OPERATOR_TOKEN),
    tags(
        (name = "events", description = "Events open for betting"),
        (name = "bets", description = "Placing bets and their history"),
        (name = "exposure", description = "What the book stands to lose, for operators"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// The operator token, as bet-maker's document describes it.
const OPERATOR_TOKEN: OperatorTokenScheme =
    OperatorTokenScheme::new("The ADMIN_TOKEN bet-maker was started with");
