//! `GET /exposure` and `GET /events/{id}/exposure`: what the book stands to lose, for
//! operators. Read from each event's tally (at most 16 rows), never from its bets.

use actix_web::{HttpResponse, web};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use super::Operator;
use crate::db::{self, Exposure};
use crate::domain::EventId;
use crate::error::{ApiError, Problem, shown};
use crate::state::AppState;
use service_support::problem::{DatabaseUnavailable, OperatorTokenMissing};

/// One event's exposure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureBody {
    /// The event.
    #[schema(example = "match-42")]
    pub event_id: String,
    /// Its status as bet-maker holds it.
    #[schema(value_type = String, example = "new")]
    pub status: &'static str,
    /// How many bets it has.
    #[schema(minimum = 0)]
    pub bets: i64,
    /// The sum of their stakes.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1250.00, multiple_of = 0.01, minimum = 0)]
    pub stake: Decimal,
    /// What they pay (stakes included) if the event is won: the sum of `amount × coefficient`,
    /// rounded to the cent.
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 2312.50, multiple_of = 0.01)]
    pub payout_if_win: Decimal,
    /// What the book loses if the event is won: the sum of `amount × (coefficient − 1)`,
    /// written as `payout_if_win − stake` (negative when the odds are below 1).
    #[serde(with = "shared_messages::two_decimals")]
    #[schema(value_type = f64, example = 1062.50, multiple_of = 0.01)]
    pub liability: Decimal,
    /// The event's liability limit; null: none.
    #[serde(with = "shared_messages::optional_two_decimals")]
    #[schema(value_type = Option<f64>, example = 25000.00, multiple_of = 0.01)]
    pub max_liability: Option<Decimal>,
    /// Its account bets whose current result some wallet has not taken yet.
    #[schema(minimum = 0)]
    pub unpaid_bets: i64,
}

/// Money to the cent, a half cent away from zero.
fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl From<&Exposure> for ExposureBody {
    fn from(exposure: &Exposure) -> Self {
        Self {
            event_id: exposure.event_id.to_string(),
            status: exposure.status.as_str(),
            bets: exposure.bets,
            stake: exposure.stake,
            payout_if_win: cents(exposure.payout_if_win),
            // From the rounded payout (the stake is whole cents), so that the three figures
            // shown always add up.
            liability: cents(exposure.payout_if_win) - exposure.stake,
            max_liability: exposure.max_liability,
            unpaid_bets: exposure.unpaid_bets,
        }
    }
}

/// The exposure of every event that has bets, by event id.
#[utoipa::path(
    get, path = "/exposure", tag = "exposure", operation_id = "list_exposure",
    security(("operator_token" = [])),
    responses(
        (status = 200, description = "Every event with bets", body = Vec<ExposureBody>),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn list(_: Operator, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = state.pool.get().await?;
    let exposures = db::exposures(&client).await?;
    let bodies: Vec<ExposureBody> = exposures.iter().map(ExposureBody::from).collect();
    Ok(HttpResponse::Ok().json(bodies))
}

/// One event's exposure: zeros for an event without bets.
#[utoipa::path(
    get, path = "/events/{id}/exposure", tag = "exposure", operation_id = "get_event_exposure",
    security(("operator_token" = [])),
    params(("id" = String, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The event's exposure", body = ExposureBody),
        (status = 404, description = "bet-maker knows no such event", body = Problem, content_type = "application/problem+json"),
        OperatorTokenMissing, DatabaseUnavailable,
    )
)]
pub async fn get(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::EventNotFound(shown(&path));
    let id = EventId::parse(path.as_str()).map_err(|_| not_found())?;
    let client = state.pool.get().await?;
    let exposure = db::event_exposure(&client, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(ExposureBody::from(&exposure)))
}

#[cfg(test)]
mod tests {
    use super::cents;
    use rust_decimal::Decimal;

    #[test]
    fn half_a_cent_rounds_away_from_zero() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(cents(d("8.925")), d("8.93"));
        assert_eq!(cents(d("8.9249")), d("8.92"));
        assert_eq!(cents(d("-0.005")), d("-0.01"));
    }
}
