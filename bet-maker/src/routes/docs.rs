//! The OpenAPI document and the interactive docs, served from the binary (no internet needed).

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::{bets, events, health, history};
use crate::error::Problem;

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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/docs").route(web::get().to(redirect_to_docs)))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
