//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::health;
use service_support::problem::Problem;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use super::{admin, events};

/// The OpenAPI 3 document of every route.
#[derive(OpenApi)]
#[openapi(
    info(title = "line-provider", description = "Operators manage sporting events; every change is published to RabbitMQ."),
    paths(
        events::create, events::list, events::get, events::change, events::finish,
        events::correct, events::history,
        admin::republish, admin::check_token, health::live, health::ready, health::metrics
    ),
    components(schemas(Problem)),
    modifiers(&OperatorToken, &AtLeastOneChange),
    tags(
        (name = "events", description = "Events and their results"),
        (name = "admin", description = "Maintenance"),
        (name = "operations", description = "Health and metrics"),
    )
)]
#[derive(Debug)]
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
                    .description(Some("The ADMIN_TOKEN the service was started with"))
                    .build(),
            ),
        );
    }
}

/// `PATCH /events/{id}` needs at least one field. (Set here: utoipa 5.5 writes its
/// `min_properties` attribute as `maxProperties`.)
struct AtLeastOneChange;

impl Modify for AtLeastOneChange {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schema = openapi
            .components
            .as_mut()
            .and_then(|components| components.schemas.get_mut("ChangeEventRequest"));
        if let Some(RefOr::T(Schema::Object(object))) = schema {
            object.min_properties = Some(1);
        }
    }
}
