//! Proof that a request comes from a bettor: `Authorization: Bearer <token>` whose hash opens
//! an account. A bettor route takes a [`Bettor`]; a request without such a token (the
//! operator's among them) is answered 401.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use service_support::auth::request_token;
use service_support::problem::{Problem, RequestError};
use utoipa::IntoResponses;

use crate::db;
use crate::domain::{Account, TokenHash};
use crate::error::ApiError;
use crate::state::AppState;

/// The account of the request's token, as stored when the request came in.
#[derive(Debug)]
pub struct Bettor(pub Account);

impl FromRequest for Bettor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Hashed at once: the token itself goes no further.
        let token = request_token(request).map(TokenHash::of);
        let state = request.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(ApiError::NotSignedIn)?;
            let state = state.ok_or_else(|| {
                RequestError::Internal(anyhow::anyhow!("the app state is not in the app data"))
            })?;
            let client = state.pool.get().await?;
            db::account_by_token(&client, &token)
                .await?
                .map(Bettor)
                .ok_or(ApiError::NotSignedIn)
        })
    }
}

/// A bettor route's refusal of a request without a bettor's token, for the OpenAPI document.
#[derive(Debug, IntoResponses)]
#[response(
    status = 401,
    description = "No bettor token, or one that opens no account",
    content_type = "application/problem+json"
)]
#[allow(dead_code)] // documents the answer; `ApiError::NotSignedIn` writes it
pub struct BettorTokenMissing(pub Problem);
