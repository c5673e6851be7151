//! The operator console at `/console`: its files are compiled in from `line-provider/console/`;
//! the page may call bet-maker (`BET_MAKER_URL`) for exposure, and nothing else.

use actix_web::{HttpResponse, web};
use serde_json::json;
use service_support::pages::{self, Asset, CSS, HTML, JAVASCRIPT};

use crate::state::AppState;

const PAGE: Asset = Asset {
    path: "/console",
    media_type: HTML,
    body: include_str!("../../console/index.html"),
};
const SCRIPT: Asset = Asset {
    path: "/console/console.js",
    media_type: JAVASCRIPT,
    body: include_str!("../../console/console.js"),
};
const MONEY: Asset = Asset {
    path: "/console/accounts.js",
    media_type: JAVASCRIPT,
    body: include_str!("../../console/accounts.js"),
};
const UI: Asset = Asset {
    path: "/console/ui.js",
    media_type: JAVASCRIPT,
    body: include_str!("../../console/ui.js"),
};
const STYLE: Asset = Asset {
    path: "/console/style.css",
    media_type: CSS,
    body: include_str!("../../console/style.css"),
};

/// Registers the console's files and its settings.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for asset in [PAGE, SCRIPT, MONEY, UI, STYLE] {
        cfg.service(web::resource(asset.path).route(web::get().to(
            move |state: web::Data<AppState>| async move {
                pages::response(&asset, &state.bet_maker_url)
            },
        )));
    }
    cfg.service(web::resource("/console/config.json").route(web::get().to(config)));
}

/// What the page needs to know: where bet-maker is.
async fn config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "bet_maker_url": state.bet_maker_url }))
}
