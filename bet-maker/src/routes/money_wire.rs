//! What the routes of accounts and money share: an account and a statement line as served,
//! the Idempotency-Key these routes require, and the answer of a movement.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse};
use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::{Account, IdempotencyKey, Line};
use crate::error::ApiError;
use crate::service::Moved;

/// An account as served.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBody {
    pub id: Uuid,
    #[schema(example = "Ada")]
    pub name: String,
    /// What the bettor may stake or withdraw; below zero after a correction took back more
    /// than the account held.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 90.00, multiple_of = 0.01)]
    pub available: Decimal,
    /// Stakes of bets whose result the wallet has not taken yet.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 10.00, multiple_of = 0.01, minimum = 0)]
    pub held: Decimal,
    /// A blocked account places no bet and withdraws nothing.
    pub blocked: bool,
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&Account> for AccountBody {
    fn from(account: &Account) -> Self {
        Self {
            id: account.id,
            name: account.name.clone(),
            available: account.available,
            held: account.held,
            blocked: account.blocked,
            created_at: account.created_at,
        }
    }
}

/// A line of a statement.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineBody {
    /// The line's id; `before` of the next page.
    pub id: i64,
    /// `deposit`, `withdrawal`, `stake`, `won`, `lost`, `void` or `correction`.
    #[schema(example = "deposit")]
    pub kind: &'static str,
    /// Its effect on `available` (a withdrawal or a stake is negative).
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 100.00, multiple_of = 0.01)]
    pub amount: Decimal,
    /// `available` after it.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 100.00, multiple_of = 0.01)]
    pub available: Decimal,
    /// The bet it belongs to; null for a deposit or a withdrawal.
    pub bet_id: Option<Uuid>,
    /// The bet's event; null for a deposit or a withdrawal.
    pub event_id: Option<String>,
    #[serde(with = "shared_messages::utc_rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&Line> for LineBody {
    fn from(line: &Line) -> Self {
        Self {
            id: line.id,
            kind: line.kind.as_str(),
            amount: line.amount,
            available: line.available,
            bet_id: line.bet_id,
            event_id: line.event_id.as_ref().map(ToString::to_string),
            created_at: line.created_at,
        }
    }
}

/// A line just written (201) or written earlier with the same key (200, marked
/// `Idempotency-Replayed`).
pub(super) fn moved(moved: Moved) -> HttpResponse {
    match moved {
        Moved::New(line) => HttpResponse::Created().json(LineBody::from(&line)),
        Moved::Replayed(line) => HttpResponse::Ok()
            .insert_header((HeaderName::from_static("idempotency-replayed"), "true"))
            .json(LineBody::from(&line)),
    }
}

/// Headers of the routes that move money.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; the handlers read it from the request
pub struct TransferHeaders {
    /// Required: 1–255 printable ASCII characters; the same key and body return the original
    /// line, never a second one.
    #[param(
        rename = "Idempotency-Key",
        pattern = r"^[ -~]{1,255}$",
        min_length = 1,
        max_length = 255
    )]
    idempotency_key: String,
}

/// The Idempotency-Key a route that moves money requires.
pub(super) fn required_key(request: &HttpRequest) -> Result<IdempotencyKey, ApiError> {
    let value = request
        .headers()
        .get("idempotency-key")
        .ok_or(ApiError::IdempotencyKeyMissing)?;
    Ok(IdempotencyKey::parse(value.as_bytes())?)
}
