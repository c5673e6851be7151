//! A service's pages for people: files compiled into the binary (nothing is fetched at run
//! time), served with their media type and a content security policy that allows nothing but
//! the service itself (and the origins `connect` names, for a page that calls another
//! service).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// One file of a page.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Where it is served.
    pub path: &'static str,
    /// Its media type.
    pub media_type: &'static str,
    /// Its bytes (`include_str!`).
    pub body: &'static str,
}

/// Registers `assets`, served by [`response`] with no other origin to connect to.
pub fn configure(cfg: &mut web::ServiceConfig, assets: &'static [Asset]) {
    for asset in assets {
        cfg.service(
            web::resource(asset.path)
                .route(web::get().to(move || async move { response(asset, "") })),
        );
    }
}

/// `asset` as an answer; `connect` is the CSP `connect-src` beyond `'self'` (another service's
/// origin the page calls, or empty).
pub fn response(asset: &Asset, connect: &str) -> HttpResponse {
    let policy = format!(
        "default-src 'self'; connect-src 'self' {connect}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.media_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(asset.body)
}

/// `text/html`.
pub const HTML: &str = "text/html; charset=utf-8";
/// `text/javascript`.
pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
/// `text/css`.
pub const CSS: &str = "text/css; charset=utf-8";
