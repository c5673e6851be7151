//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::health;
use service_support::problem::Problem;
use utoipa::OpenApi;

use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

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
    modifiers(&OperatorToken),
    tags(
        (name = "events", description = "Events open for betting"),
        (name = "bets", description = "Placing bets and their history"),
        (name = "exposure", description = "What the book stands to lose, for operators"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct OperatorToken;

impl Modify for OperatorToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "operator_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The ADMIN_TOKEN bet-maker was started with"))
                    .build(),
            ),
        );
    }
}
