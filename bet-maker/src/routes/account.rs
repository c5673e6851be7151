//! A bettor's own account: opening one (open to anyone), reading it, its token, its statement
//! and withdrawals.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bettor::{Bettor, BettorTokenMissing};
use super::money_wire::{AccountBody, LineBody, TransferHeaders, moved, required_key};
use super::schemas;
use crate::db;
use crate::domain::{AccountName, Money, PageSize, ValidationError, decimal_from_json};
use crate::error::{ApiError, Problem};
use crate::service;
use crate::state::AppState;
use service_support::json_body;
use service_support::problem::{DatabaseUnavailable, JsonBodyRefused};

/// Body of `POST /accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccountRequest {
    /// 1–64 characters, no control characters.
    #[schema(
        example = "Ada",
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
}

/// An account just opened, with its token: the only answer that shows it.
#[derive(Serialize, ToSchema)]
pub struct OpenedBody {
    pub id: Uuid,
    pub name: String,
    /// The bearer token of the bettor routes; bet-maker keeps only its hash.
    pub token: String,
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A new token.
#[derive(Serialize, ToSchema)]
pub struct TokenBody {
    /// The new bearer token; the old one no longer works.
    pub token: String,
}

impl std::fmt::Debug for OpenedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedBody")
            .field("id", &self.id)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenBody([redacted])")
    }
}

/// An answer that carries a token: no cache keeps it.
fn with_token(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    response
}

/// Open an account (a sign-up, open to anyone).
#[utoipa::path(
    post, path = "/accounts", tag = "accounts", operation_id = "open_account",
    request_body = OpenAccountRequest,
    responses(
        (status = 201, description = "Opened; `token` is shown only here", body = OpenedBody),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
        JsonBodyRefused, DatabaseUnavailable,
    )
)]
pub async fn open(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let wire: OpenAccountRequest = json_body::parse(&request, &body)?;
    let name = AccountName::parse(&wire.name)?;
    let (account, token) = service::open_account(&state.pool, &state.metrics, &name).await?;
    Ok(with_token(HttpResponse::Created()).json(OpenedBody {
        id: account.id,
        name: account.name,
        token: token.reveal().to_owned(),
        created_at: account.created_at,
    }))
}

/// The bettor's account.
#[utoipa::path(
    get, path = "/account", tag = "accounts", operation_id = "get_account",
    security(("bettor_token" = [])),
    responses(
        (status = 200, description = "The account", body = AccountBody),
        BettorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn get(Bettor(account): Bettor) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AccountBody::from(&account)))
}

/// A new token for the bettor's account; the old one stops working at once.
#[utoipa::path(
    post, path = "/account/token", tag = "accounts", operation_id = "rotate_token",
    security(("bettor_token" = [])),
    responses(
        (status = 200, description = "The new token", body = TokenBody),
        BettorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn rotate_token(
    Bettor(account): Bettor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = service::rotate_token(&state.pool, account.id).await?;
    Ok(with_token(HttpResponse::Ok()).json(TokenBody {
        token: token.reveal().to_owned(),
    }))
}

/// Query of `GET /account/statement`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// At most this many lines (1–1000, default 100).
    #[param(value_type = Option<u16>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Only lines older than this one (the last id of the previous page).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub before: Option<String>,
}

/// The bettor's statement, newest first: every line's amount adds up to `available`.
#[utoipa::path(
    get, path = "/account/statement", tag = "accounts", operation_id = "get_statement",
    security(("bettor_token" = [])),
    params(StatementQuery),
    responses(
        (status = 200, description = "Lines, newest first", body = Vec<LineBody>),
        (status = 400, description = "Unreadable query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or before", body = Problem, content_type = "application/problem+json"),
        BettorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn statement(
    Bettor(account): Bettor,
    query: web::Query<StatementQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = PageSize::parse_or_default(query.limit.as_deref())?.get();
    let before = query
        .before
        .as_deref()
        .map(|text| {
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ValidationError::new("before", "must be a line id (an integer)"))
        })
        .transpose()?;
    let client = state.pool.get().await?;
    let lines = db::statement_page(&client, account.id, before, i64::from(limit)).await?;
    Ok(HttpResponse::Ok().json(lines.iter().map(LineBody::from).collect::<Vec<_>>()))
}

/// Body of `POST /account/withdrawals` and of a deposit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// How much.
    #[schema(schema_with = schemas::amount_input)]
    pub amount: Box<RawValue>,
}

/// Money out of the bettor's account, at most once per Idempotency-Key.
#[utoipa::path(
    post, path = "/account/withdrawals", tag = "accounts", operation_id = "withdraw",
    security(("bettor_token" = [])),
    request_body = WithdrawalRequest,
    params(TransferHeaders),
    responses(
        (status = 201, description = "Withdrawn: the statement line", body = LineBody),
        (status = 200, description = "Withdrawn earlier with the same Idempotency-Key and body", body = LineBody, headers(("Idempotency-Replayed" = String, description = "true"))),
        (status = 400, description = "No Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is blocked (`account-blocked`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than `available` (`insufficient-funds`, with the member `available`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid amount, or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        BettorTokenMissing, JsonBodyRefused, DatabaseUnavailable,
    )
)]
pub async fn withdraw(
    Bettor(account): Bettor,
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = required_key(&request)?;
    let wire: WithdrawalRequest = json_body::parse(&request, &body)?;
    let amount = decimal_from_json("amount", &wire.amount, Money::parse)?;
    let withdrawn =
        service::withdraw(&state.pool, &state.metrics, account.id, amount, &key).await?;
    Ok(moved(withdrawn))
}
