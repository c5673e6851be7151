//! Placing a bet and reading one, and the wire types of bets.

use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bettor::Caller;
use super::schemas;
use crate::db;
use crate::domain::{
    Bet, BetStatus, Consent, EventId, IdempotencyKey, Money, decimal_from_json, id_from_json,
};
use crate::error::{ApiError, Problem, shown};
use crate::service::{self, BetRequest, Placed};
use crate::state::AppState;
use service_support::json::present;
use service_support::json_body;
use service_support::problem::{DatabaseUnavailable, JsonBodyRefused};

/// Body of `POST /bet`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceBetRequest {
    /// The event to bet on (an integer means its decimal string).
    #[schema(schema_with = schemas::event_id_input)]
    pub event_id: Box<RawValue>,
    /// The stake.
    #[schema(schema_with = schemas::amount_input)]
    pub amount: Box<RawValue>,
    /// The odds the bettor saw; with it the bet is placed only at odds `accept_odds` allows
    /// (else 409 `odds-changed` with the current odds).
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schemas::coefficient_input, required = false)]
    pub coefficient: Option<Box<RawValue>>,
    /// Which odds the bettor accepts: `exact` (the default with `coefficient`), `higher` (the
    /// same or better) or `any`; `exact` and `higher` need `coefficient`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = AcceptOddsBody, required = false)]
    pub accept_odds: Option<Box<RawValue>>,
}

/// Which odds the bettor accepts, compared with the `coefficient` they sent.
#[derive(Debug, Clone, Copy, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // documents the member; the handler reads it with `Consent::from_json`
pub enum AcceptOddsBody {
    /// Only the odds sent.
    Exact,
    /// The odds sent or higher ones.
    Higher,
    /// Whatever the odds are.
    Any,
}

/// Where a bet stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BetStatusBody {
    /// Its event is not finished yet.
    Pending,
    /// Its event finished as won.
    Won,
    /// Its event finished as lost.
    Lost,
    /// Its event was cancelled: the stake is returned.
    Void,
}

impl From<BetStatus> for BetStatusBody {
    fn from(status: BetStatus) -> Self {
        match status {
            BetStatus::Pending => Self::Pending,
            BetStatus::Won => Self::Won,
            BetStatus::Lost => Self::Lost,
            BetStatus::Void => Self::Void,
        }
    }
}

/// A bet as served.
#[derive(Debug, Serialize, ToSchema)]
pub struct BetBody {
    /// The bet's id.
    pub id: Uuid,
    /// The event it is on.
    #[schema(example = "match-42")]
    pub event_id: String,
    /// The stake, always with two decimals.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 10.50, multiple_of = 0.01, exclusive_minimum = 0, maximum = 1000000000)]
    pub amount: Decimal,
    /// The odds locked when the bet was placed.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1.85, multiple_of = 0.01, exclusive_minimum = 0, maximum = 10000)]
    pub coefficient: Decimal,
    /// Where it stands.
    pub status: BetStatusBody,
    /// When it was placed (UTC).
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was settled (UTC); null while pending.
    #[serde(with = "optional_utc")]
    #[schema(value_type = Option<OffsetDateTime>)]
    pub settled_at: Option<OffsetDateTime>,
    /// The account it was placed from; null for an anonymous bet.
    pub account_id: Option<Uuid>,
    /// When its account's wallet took its current result (UTC); null for an anonymous bet, and
    /// until then.
    #[serde(with = "optional_utc")]
    #[schema(value_type = Option<OffsetDateTime>)]
    pub paid_at: Option<OffsetDateTime>,
}

mod optional_utc {
    use time::OffsetDateTime;

    pub fn serialize<S: serde::Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(instant) => shared_messages::utc_rfc3339::serialize(instant, serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl From<&Bet> for BetBody {
    fn from(bet: &Bet) -> Self {
        Self {
            id: bet.id,
            event_id: bet.event_id.to_string(),
            amount: bet.amount.value(),
            coefficient: bet.coefficient,
            status: bet.status.into(),
            created_at: bet.created_at,
            settled_at: bet.settled_at,
            account_id: bet.account_id,
            paid_at: bet.paid_at,
        }
    }
}

/// A refusal of `POST /bet`: a problem document with the members of its kind.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body; errors are written by `service-support`
pub struct BetRefusal {
    /// A URI naming the kind: `urn:problem:bet-maker:<kind>`.
    #[schema(example = "urn:problem:bet-maker:odds-changed")]
    r#type: String,
    /// A short summary of the kind.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong and what to send instead.
    detail: String,
    /// The request member at fault, when there is one.
    field: Option<String>,
    /// `odds-changed`: the event's current odds.
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    coefficient: Option<Decimal>,
    /// `liability-limit`: the largest stake still accepted at the current odds.
    #[schema(value_type = Option<f64>, multiple_of = 0.01, minimum = 0)]
    max_amount: Option<Decimal>,
    /// `stake-out-of-range`: the smallest stake accepted (null: none).
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    min_stake: Option<Decimal>,
    /// `stake-out-of-range`: the largest stake accepted (null: none).
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    max_stake: Option<Decimal>,
    /// `insufficient-funds`: what the account has available (below zero after a correction).
    #[schema(value_type = Option<f64>, multiple_of = 0.01)]
    available: Option<Decimal>,
}

/// Headers of `POST /bet`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; the handler reads it from the request
pub struct BetHeaders {
    /// 1–255 printable ASCII characters; the same key and body return the original bet.
    #[param(
        rename = "Idempotency-Key",
        pattern = r"^[ -~]{1,255}$",
        min_length = 1,
        max_length = 255
    )]
    idempotency_key: Option<String>,
}

/// Place a bet on an open event at its current odds, within the event's limits and, when the
/// bettor sends `coefficient`, only at odds they accept. With a bettor's token the bet is that
/// account's, and its stake moves from `available` to `held` with it.
#[utoipa::path(
    post, path = "/bet", tag = "bets", operation_id = "place_bet",
    request_body = PlaceBetRequest,
    params(BetHeaders),
    responses(
        (status = 201, description = "Placed", body = BetBody, headers(("Location" = String))),
        (status = 200, description = "Placed earlier with the same Idempotency-Key (of the same account) and body", body = BetBody),
        (status = 401, description = "A token that opens no account (the operator's among them), or no token where bets need an account (`ANONYMOUS_BETS=false`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is blocked (`account-blocked`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The event is finished or its deadline passed (`event-closed`); its odds are not the ones accepted (`odds-changed`, with the member `coefficient`: the current odds); the bet would take the event's liability above its limit (`liability-limit`, with the member `max_amount`: the largest stake still accepted); the stake is more than the account has available (`insufficient-funds`, with the member `available`)", body = BetRefusal, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value; the stake is outside the event's limits (`stake-out-of-range`, with the members `min_stake` and `max_stake`); or the Idempotency-Key was used for another bet", body = BetRefusal, content_type = "application/problem+json"),
        JsonBodyRefused, DatabaseUnavailable,
    )
)]
pub async fn place(
    request: HttpRequest,
    body: web::Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let account = match caller {
        Caller::Bettor(account) => Some(account.id),
        Caller::Anyone => None,
        Caller::Anonymous if state.anonymous_bets => None,
        // The operator places no bets; and without anonymous bets, a bet needs an account.
        Caller::Anonymous | Caller::Operator => return Err(ApiError::NotSignedIn),
    };
    let key = request
        .headers()
        .get("idempotency-key")
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()?;
    let wire: PlaceBetRequest = json_body::parse(&request, &body)?;
    let bet_request = BetRequest {
        event_id: id_from_json("event_id", &wire.event_id, EventId::parse)?,
        amount: decimal_from_json("amount", &wire.amount, Money::parse)?,
        consent: Consent::from_json(wire.coefficient.as_deref(), wire.accept_odds.as_deref())?,
        account,
    };
    let placed = service::place_bet(&state.pool, &state.metrics, bet_request, key).await?;
    Ok(match placed {
        Placed::New(bet) => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/bets/{}", bet.id)))
            .json(BetBody::from(&bet)),
        Placed::Replayed(bet) => HttpResponse::Ok()
            .insert_header((HeaderName::from_static("idempotent-replayed"), "true"))
            .json(BetBody::from(&bet)),
    })
}

/// One bet. An account's bet is shown only to its owner and the operator.
#[utoipa::path(
    get, path = "/bets/{id}", tag = "bets", operation_id = "get_bet",
    params(("id" = Uuid, Path, description = "The bet's id")),
    responses(
        (status = 200, description = "The bet", body = BetBody),
        (status = 401, description = "A token that is neither the operator's nor a bettor's", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such bet, or another account's", body = Problem, content_type = "application/problem+json"),
        DatabaseUnavailable,
    )
)]
pub async fn get(
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::BetNotFound(shown(&path));
    let id = Uuid::parse_str(&path).map_err(|_| not_found())?;
    let client = state.pool.get().await?;
    let bet = db::get_bet(&client, id).await?.ok_or_else(not_found)?;
    let shown_to_caller = match (&caller, bet.account_id) {
        (_, None) | (Caller::Anyone | Caller::Operator, Some(_)) => true,
        (Caller::Bettor(account), Some(owner)) => account.id == owner,
        (Caller::Anonymous, Some(_)) => false,
    };
    if !shown_to_caller {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(BetBody::from(&bet)))
}
