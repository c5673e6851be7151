//! The bettor page at `/`: open events, a bet slip, the bet history, and (with accounts) the
//! bettor's account. Its files are compiled in from `bet-maker/page/`.

use actix_web::web;
use service_support::pages::{self, Asset, CSS, HTML, JAVASCRIPT};

const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        media_type: HTML,
        body: include_str!("../../page/index.html"),
    },
    Asset {
        path: "/page/bettor.js",
        media_type: JAVASCRIPT,
        body: include_str!("../../page/bettor.js"),
    },
    Asset {
        path: "/page/account.js",
        media_type: JAVASCRIPT,
        body: include_str!("../../page/account.js"),
    },
    Asset {
        path: "/page/style.css",
        media_type: CSS,
        body: include_str!("../../page/style.css"),
    },
];

/// Registers the page's files.
pub fn configure(cfg: &mut web::ServiceConfig) {
    pages::configure(cfg, ASSETS);
}
