//! The HTTP API: bet-maker's routes and their wire types. The server around them (limits,
//! problem+json for every error, health and metrics routes, docs) is `service-support`'s.

mod bets;
mod docs;
mod events;
mod exposure;
mod history;
mod page;
mod schemas;

use actix_web::web;

use crate::error::ApiError;

pub use docs::ApiDoc;

/// Proof of the operator token, which the exposure routes take; a request without it is
/// answered with bet-maker's 401.
type Operator = service_support::auth::Operator<ApiError>;

/// Registers every route of bet-maker's own.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/events").route(web::get().to(events::list)))
        .service(web::resource("/bet").route(web::post().to(bets::place)))
        .service(web::resource("/bets").route(web::get().to(history::list)))
        .service(web::resource("/bets/{id}").route(web::get().to(bets::get)))
        .service(web::resource("/exposure").route(web::get().to(exposure::list)))
        .service(web::resource("/events/{id}/exposure").route(web::get().to(exposure::get)))
        .configure(page::configure);
}
