//! The HTTP API: bet-maker's routes and their wire types. The server around them (limits,
//! problem+json for every error, health and metrics routes, docs) is `service-support`'s.

mod account;
mod accounts;
mod bets;
mod bettor;
mod docs;
mod events;
mod exposure;
mod history;
mod money_wire;
mod page;
mod schemas;

use actix_web::web;

use crate::error::ApiError;

pub use docs::{ApiDoc, document};

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

/// [`configure`] and the routes of bettors' accounts and money (`ACCOUNTS=true`).
pub fn configure_with_accounts(cfg: &mut web::ServiceConfig) {
    configure(cfg);
    cfg.service(
        web::resource("/accounts")
            .route(web::post().to(account::open))
            .route(web::get().to(accounts::list)),
    )
    .service(
        web::resource("/accounts/{id}")
            .route(web::get().to(accounts::get))
            .route(web::patch().to(accounts::change)),
    )
    .service(web::resource("/accounts/{id}/deposits").route(web::post().to(accounts::deposit)))
    .service(web::resource("/account").route(web::get().to(account::get)))
    .service(web::resource("/account/token").route(web::post().to(account::rotate_token)))
    .service(web::resource("/account/statement").route(web::get().to(account::statement)))
    .service(web::resource("/account/withdrawals").route(web::post().to(account::withdraw)))
    .service(web::resource("/ledger").route(web::get().to(accounts::ledger)));
}
