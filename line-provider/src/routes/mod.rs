//! The HTTP API: line-provider's routes and their wire types. The server around them (limits,
//! problem+json for every error, health and metrics routes, docs) is `service-support`'s.

mod admin;
mod console;
mod docs;
mod events;
mod schemas;

use actix_web::web;

use crate::error::ApiError;

pub use docs::ApiDoc;

/// Proof of the operator token, which every route that changes something takes; a request
/// without it is answered with line-provider's 401.
type Operator = service_support::auth::Operator<ApiError>;

/// Registers every route of line-provider's own.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events")
            .route(web::get().to(events::list))
            .route(web::post().to(events::create)),
    )
    .service(
        web::resource("/events/{id}")
            .route(web::get().to(events::get))
            .route(web::patch().to(events::change)),
    )
    .service(web::resource("/events/{id}/status").route(web::put().to(events::finish)))
    .service(web::resource("/events/{id}/corrections").route(web::post().to(events::correct)))
    .service(web::resource("/events/{id}/history").route(web::get().to(events::history)))
    .service(web::resource("/admin/republish").route(web::post().to(admin::republish)))
    .service(web::resource("/admin/token").route(web::get().to(admin::check_token)))
    .configure(console::configure);
}
