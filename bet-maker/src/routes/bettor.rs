//! Who sends a request. A bettor route takes a [`Bettor`]: `Authorization: Bearer <token>`
//! whose hash opens an account; a request without such a token (the operator's among them) is
//! answered 401. A route open to everyone whose answer depends on who asks (the bets) takes a
//! [`Caller`].

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use service_support::auth::{carries_operator_token, request_token};
use service_support::problem::{Problem, RequestError};
use utoipa::IntoResponses;
use uuid::Uuid;

use crate::domain::{Account, Owner, TokenHash, ValidationError};
use crate::error::ApiError;
use crate::service;
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
        let state = app_state(request);
        Box::pin(async move {
            let token = token.ok_or(ApiError::NotSignedIn)?;
            account_of(&*state?, &token)
                .await?
                .map(Bettor)
                .ok_or(ApiError::NotSignedIn)
        })
    }
}

/// Who sends a request to a route open to everyone.
#[derive(Debug)]
pub enum Caller {
    /// Anyone at all, on a book that opens no accounts: every token is ignored, as before
    /// accounts existed.
    Anyone,
    /// No token, on a book with accounts.
    Anonymous,
    /// The operator token.
    Operator,
    /// A bettor's token: their account as stored when the request came in.
    Bettor(Account),
}

impl Caller {
    /// Whose bets this caller sees, narrowed to `account_id` when given.
    pub fn owner(&self, account_id: Option<&str>) -> Result<Owner, ValidationError> {
        // A book without accounts lists every bet, as before accounts existed.
        if let Self::Anyone = self {
            return Ok(Owner::Anyone);
        }
        let named = account_id
            .map(|text| {
                Uuid::parse_str(text)
                    .map_err(|_| ValidationError::new("account_id", "must be an account id (UUID)"))
            })
            .transpose()?;
        match (self, named) {
            (Self::Anyone, _) | (Self::Operator, None) => Ok(Owner::Anyone),
            (Self::Operator, Some(id)) => Ok(Owner::Account(id)),
            (Self::Bettor(account), None) => Ok(Owner::Account(account.id)),
            (Self::Bettor(account), Some(id)) if id == account.id => Ok(Owner::Account(id)),
            (Self::Anonymous, None) => Ok(Owner::Nobody),
            (Self::Bettor(_) | Self::Anonymous, Some(_)) => Err(ValidationError::new(
                "account_id",
                "only the operator lists another account's bets",
            )),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    /// A token that is neither the operator's nor a bettor's is answered 401: a client that
    /// sends one expects to be someone, and must not be served as nobody.
    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let operator = carries_operator_token(request);
        let token = request_token(request).map(TokenHash::of);
        let state = app_state(request);
        Box::pin(async move {
            let state = state?;
            if !state.accounts {
                return Ok(Self::Anyone);
            }
            match token {
                None => Ok(Self::Anonymous),
                Some(_) if operator => Ok(Self::Operator),
                Some(token) => account_of(&state, &token)
                    .await?
                    .map(Self::Bettor)
                    .ok_or(ApiError::NotSignedIn),
            }
        })
    }
}

fn app_state(request: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| {
            RequestError::Internal(anyhow::anyhow!("the app state is not in the app data")).into()
        })
}

/// The token's account, which first takes its known results.
async fn account_of(state: &AppState, token: &TokenHash) -> Result<Option<Account>, ApiError> {
    Ok(service::signed_in(&state.pool, &state.metrics, token).await?)
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
