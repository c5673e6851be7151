//! The operator's side of the accounts: listing and reading them, blocking, deposits (the
//! payment provider's callback) and the book's money (`GET /ledger`).

use actix_web::{HttpRequest, HttpResponse, web};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::Operator;
use super::money_wire::{AccountBody, LineBody, TransferHeaders, moved, required_key};
use super::schemas;
use crate::db;
use crate::domain::{Money, PageSize, ValidationError, decimal_from_json};
use crate::error::{ApiError, Problem, shown};
use crate::service;
use crate::state::AppState;
use service_support::json_body;
use service_support::problem::{DatabaseUnavailable, JsonBodyRefused, OperatorTokenMissing};

fn account_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| ApiError::AccountNotFound(shown(path)))
}

/// Query of `GET /accounts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// At most this many accounts (1–1000, default 100).
    #[param(value_type = Option<u16>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Only accounts opened before this one (the last id of the previous page).
    #[param(value_type = Option<Uuid>)]
    pub before: Option<String>,
}

/// Accounts with their balances, newest first.
#[utoipa::path(
    get, path = "/accounts", tag = "accounts", operation_id = "list_accounts",
    security(("operator_token" = [])),
    params(AccountsQuery),
    responses(
        (status = 200, description = "Accounts, newest first", body = Vec<AccountBody>),
        (status = 400, description = "Unreadable query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or before", body = Problem, content_type = "application/problem+json"),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn list(
    _: Operator,
    query: web::Query<AccountsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = PageSize::parse_or_default(query.limit.as_deref())?.get();
    let before = query
        .before
        .as_deref()
        .map(|text| {
            Uuid::parse_str(text)
                .map_err(|_| ValidationError::new("before", "must be an account id (UUID)"))
        })
        .transpose()?;
    let client = state.pool.get().await?;
    let accounts = db::accounts_page(&client, before, i64::from(limit)).await?;
    Ok(HttpResponse::Ok().json(accounts.iter().map(AccountBody::from).collect::<Vec<_>>()))
}

/// One account.
#[utoipa::path(
    get, path = "/accounts/{id}", tag = "accounts", operation_id = "get_account_of",
    security(("operator_token" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = AccountBody),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn get(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = account_id(&path)?;
    let client = state.pool.get().await?;
    let account = db::get_account(&client, id)
        .await?
        .ok_or_else(|| ApiError::AccountNotFound(id.to_string()))?;
    Ok(HttpResponse::Ok().json(AccountBody::from(&account)))
}

/// Body of `PATCH /accounts/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    /// Block (true) or unblock (false): a blocked account keeps reading, but places no bet and
    /// withdraws nothing.
    pub blocked: bool,
}

/// Block or unblock an account.
#[utoipa::path(
    patch, path = "/accounts/{id}", tag = "accounts", operation_id = "change_account",
    security(("operator_token" = [])),
    params(("id" = Uuid, Path, description = "The account's id")),
    request_body = AccountChange,
    responses(
        (status = 200, description = "The account after the change", body = AccountBody),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`blocked` missing or not a boolean, or another member", body = Problem, content_type = "application/problem+json"),
        OperatorTokenMissing, JsonBodyRefused, DatabaseUnavailable,
    )
)]
pub async fn change(
    _: Operator,
    path: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = account_id(&path)?;
    let wire: AccountChange = json_body::parse(&request, &body)?;
    let client = state.pool.get().await?;
    let account = db::set_blocked(&client, id, wire.blocked)
        .await?
        .ok_or_else(|| ApiError::AccountNotFound(id.to_string()))?;
    tracing::info!(account_id = %id, blocked = wire.blocked, "account blocked or unblocked");
    Ok(HttpResponse::Ok().json(AccountBody::from(&account)))
}

/// Body of `POST /accounts/{id}/deposits`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// How much.
    #[schema(schema_with = schemas::amount_input)]
    pub amount: Box<RawValue>,
    /// The payment's reference, 1–255 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub reference: Option<String>,
}

/// Money into an account: the payment provider's callback, at most once per Idempotency-Key.
#[utoipa::path(
    post, path = "/accounts/{id}/deposits", tag = "accounts", operation_id = "deposit",
    security(("operator_token" = [])),
    params(("id" = Uuid, Path, description = "The account's id"), TransferHeaders),
    request_body = DepositRequest,
    responses(
        (status = 201, description = "Deposited: the statement line", body = LineBody),
        (status = 200, description = "Deposited earlier with the same Idempotency-Key and body", body = LineBody, headers(("Idempotency-Replayed" = String, description = "true"))),
        (status = 400, description = "No Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid amount or reference, or the Idempotency-Key was used for another deposit", body = Problem, content_type = "application/problem+json"),
        OperatorTokenMissing, JsonBodyRefused, DatabaseUnavailable,
    )
)]
pub async fn deposit(
    _: Operator,
    path: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = account_id(&path)?;
    let key = required_key(&request)?;
    let wire: DepositRequest = json_body::parse(&request, &body)?;
    let amount = decimal_from_json("amount", &wire.amount, Money::parse)?;
    if let Some(reference) = &wire.reference {
        if !(1..=255).contains(&reference.chars().count()) {
            return Err(
                ValidationError::new("reference", "must be 1 to 255 characters long").into(),
            );
        }
        if reference.chars().any(char::is_control) {
            return Err(
                ValidationError::new("reference", "must not contain control characters").into(),
            );
        }
    }
    let deposited = service::deposit(
        &state.pool,
        &state.metrics,
        id,
        amount,
        wire.reference.as_deref(),
        &key,
    )
    .await?;
    Ok(moved(deposited))
}

/// The book's money in one consistent read.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerBody {
    /// Every deposit ever made.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub deposits: Decimal,
    /// Every withdrawal ever made.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub withdrawals: Decimal,
    /// `available` summed over every account.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub available: Decimal,
    /// `held` summed over every account.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub held: Decimal,
    /// The book's result on account bets whose result a wallet has taken.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub book: Decimal,
    /// Account bets whose current result some wallet has not taken yet.
    #[schema(minimum = 0)]
    pub unpaid_bets: i64,
}

/// The book's money: `deposits − withdrawals = available + held + book`, to the cent, read
/// from the 96 rows of totals whatever the length of the ledger.
#[utoipa::path(
    get, path = "/ledger", tag = "accounts", operation_id = "get_ledger",
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "The book's money", body = LedgerBody),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn ledger(_: Operator, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut client = state.pool.get().await?;
    // One snapshot for the totals and the unpaid bets.
    let snapshot = client
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await
        .map_err(db::DbError::from)?;
    let totals = db::ledger_totals(&snapshot).await?;
    let (unpaid_bets, _) = db::unpaid(&snapshot).await?;
    snapshot.commit().await.map_err(db::DbError::from)?;
    Ok(HttpResponse::Ok().json(LedgerBody {
        deposits: totals.deposits,
        withdrawals: totals.withdrawals,
        available: totals.available,
        held: totals.held,
        book: totals.book,
        unpaid_bets,
    }))
}
