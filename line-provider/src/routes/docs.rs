//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::auth::OperatorTokenScheme;
use service_support::health;
use service_support::problem::Problem;
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
    modifiers(&OPERATOR_TOKEN, &AtLeastOneChange),
    tags(
        (name = "events", description = "Events and their results"),
        (name = "admin", description = "Maintenance"),
        (name = "operations", description = "Health and metrics"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The operator token, as line-provider's document describes it.
const OPERATOR_TOKEN: OperatorTokenScheme =
    OperatorTokenScheme::new("The ADMIN_TOKEN the service was started with");

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
