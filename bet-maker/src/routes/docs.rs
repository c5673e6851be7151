//! The OpenAPI document, served with the interactive docs from the binary (no internet needed).

use service_support::auth::OperatorTokenScheme;
use service_support::health;
use service_support::problem::Problem;
use utoipa::OpenApi;

use super::{account, accounts, bets, events, exposure, history};

/// The OpenAPI 3 document of every route.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "bet-maker", description = "Bettors bet on the events line-provider publishes; bets settle when an event finishes."),
    paths(
        events::list, bets::place, history::list, bets::get,
        exposure::list, exposure::get,
        account::open, account::get, account::rotate_token, account::statement, account::withdraw,
        accounts::list, accounts::get, accounts::change, accounts::deposit, accounts::ledger,
        health::live, health::ready, health::metrics
    ),
    components(schemas(Problem)),
    modifiers(&OPERATOR_TOKEN, &BETTOR_TOKEN),
    tags(
        (name = "events", description = "Events open for betting"),
        (name = "bets", description = "Placing bets and their history"),
        (name = "exposure", description = "What the book stands to lose, for operators"),
        (name = "accounts", description = "Bettors' accounts and their money"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

/// The document of the routes served: without `ACCOUNTS=true`, the accounts' routes and their
/// tag are left out, as they are not served.
pub fn document(accounts: bool) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    if !accounts {
        let is_accounts = |path: &str| path.starts_with("/account") || path == "/ledger";
        document.paths.paths.retain(|path, _| !is_accounts(path));
        if let Some(tags) = &mut document.tags {
            tags.retain(|tag| tag.name != "accounts");
        }
        if let Some(components) = &mut document.components {
            components.security_schemes.remove("bettor_token");
        }
    }
    document
}

/// The operator token, as bet-maker's document describes it.
const OPERATOR_TOKEN: OperatorTokenScheme =
    OperatorTokenScheme::new("The ADMIN_TOKEN bet-maker was started with");

/// A bettor's token, which `POST /accounts` gives.
const BETTOR_TOKEN: OperatorTokenScheme = OperatorTokenScheme::named(
    "bettor_token",
    "The token POST /accounts (or POST /account/token) gave the bettor",
);
