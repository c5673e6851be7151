//! The HTTP API: routes, their wire types, and the middleware that keeps every error a
//! problem+json document.

mod admin;
mod auth;
mod docs;
mod events;
mod health;
mod problems;
mod schemas;

use actix_web::web;

pub use docs::ApiDoc;
pub use problems::problem_for_unhandled_errors;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Registers every route of line-provider.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::QueryConfig::default().error_handler(|error, _| {
                crate::error::ApiError::BadQuery(error.to_string()).into()
            }),
        )
        .service(
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
        .service(web::resource("/admin/republish").route(web::post().to(admin::republish)))
        .service(web::resource("/health/live").route(web::get().to(health::live)))
        .service(web::resource("/health/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .configure(docs::configure)
        .default_service(web::to(problems::no_route));
}
