//! `GET /bets`: the history of bets, one page at a time or streamed whole from a cursor; whose
//! bets depends on who asks.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use deadpool_postgres::Pool;
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use utoipa::IntoParams;
use uuid::Uuid;

use super::bets::{BetBody, BetStatusBody};
use super::bettor::Caller;
use crate::db::{self, DbError};
use crate::domain::{BetFilter, BetStatus, EventId, Owner, PageSize, ValidationError};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::streams::{Holder, Refusal, StreamPermit};
use service_support::http::Head;
use service_support::problem::DatabaseUnavailable;

/// Rows read from the cursor per round trip while streaming the history.
const STREAM_BATCH: i32 = 500;
/// Chunks buffered between the cursor and the client; keeps memory flat on huge histories.
const STREAM_BUFFER: usize = 4;
/// A client that reads nothing for this long loses its stream (and its database connection).
const STREAM_SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Query of `GET /bets`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only bets with this status.
    #[param(value_type = Option<BetStatusBody>)]
    pub status: Option<String>,
    /// Only bets on this event.
    // `shared_messages::event_id::PATTERN` (an attribute takes a literal; a test compares them).
    #[param(
        pattern = r"^(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,63}|\.[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,62}|\.\.[A-Za-z0-9._:-]{1,62})$",
        min_length = 1,
        max_length = 64
    )]
    pub event_id: Option<String>,
    /// At most this many bets (1–1000), as one page; without it, every bet, streamed.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Only bets older than this one (the last id of the previous page).
    #[param(value_type = Option<Uuid>)]
    pub before: Option<String>,
    /// Only the bets of this account (the operator's filter; a bettor may name only their own).
    #[param(value_type = Option<Uuid>)]
    pub account_id: Option<String>,
}

/// The history of bets, newest first: every bet streamed as one array, or one page with
/// `limit` (and `before` for the next pages). On a book with accounts, a bettor's token lists
/// that account's bets, the operator token every bet, and no token the anonymous bets.
#[utoipa::path(
    get, path = "/bets", tag = "bets", operation_id = "list_bets",
    params(HistoryQuery),
    responses(
        (status = 200, description = "Bets, newest first; with a full page, a Link header to the next one", body = Vec<BetBody>),
        (status = 400, description = "Unreadable query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`before` names no bet", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A token that is neither the operator's nor a bettor's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter, limit or before; an account_id other than the bettor's own", body = Problem, content_type = "application/problem+json"),
        DatabaseUnavailable,
    )
)]
pub async fn list(
    request: HttpRequest,
    query: web::Query<HistoryQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = BetFilter {
        owner: caller.owner(query.account_id.as_deref())?,
        status: query
            .status
            .as_deref()
            .map(|s| {
                BetStatus::parse(s).ok_or_else(|| {
                    ValidationError::new("status", "must be pending, won, lost or void")
                })
            })
            .transpose()?,
        event_id: query
            .event_id
            .as_deref()
            .map(|id| {
                EventId::parse(id).map_err(|e| ValidationError::new("event_id", e.to_string()))
            })
            .transpose()?,
    };
    let limit = query.limit.as_deref().map(PageSize::parse).transpose()?;
    let before = match query.before.as_deref() {
        None => None,
        Some(text) => {
            let id = Uuid::parse_str(text)
                .map_err(|_| ValidationError::new("before", "must be a bet id (UUID)"))?;
            let client = state.pool.get().await?;
            let not_found = || ApiError::BetNotFound(format!("{id} (the before of this page)"));
            let (position, owner) = db::bet_position(&client, id).await?.ok_or_else(not_found)?;
            // Another account's bet is not there for this caller, as `GET /bets/{id}` says.
            if !filter.owner.may_see(owner) {
                return Err(not_found());
            }
            Some(position)
        }
    };
    match limit {
        Some(limit) => page(&state, &filter, before, limit, &query).await,
        // A HEAD asks for the head alone: no cursor, no permit.
        None if request.extensions().contains::<Head>() => Ok(HttpResponse::Ok()
            .content_type(mime::APPLICATION_JSON)
            .finish()),
        None => {
            let holder = match &caller {
                Caller::Bettor(account) => Holder::Account(account.id),
                _ => Holder::Address(
                    request
                        .peer_addr()
                        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |address| address.ip()),
                ),
            };
            let permit = state.history_streams.try_acquire(holder).map_err(|refusal| {
                ApiError::Busy(match refusal {
                    Refusal::Full => "too many bet histories are being streamed right now; retry shortly, or page with limit",
                    Refusal::AlreadyStreaming => "this client is streaming a bet history already; read it to the end first, or page with limit",
                }.into())
            })?;
            stream_history(state.pool.clone(), filter, before, permit).await
        }
    }
}

async fn page(
    state: &AppState,
    filter: &BetFilter,
    before: Option<i64>,
    limit: PageSize,
    query: &HistoryQuery,
) -> Result<HttpResponse, ApiError> {
    let client = state.pool.get().await?;
    let bets = db::bets_page(&client, filter, before, limit.get()).await?;
    let mut response = HttpResponse::Ok();
    if bets.len() == usize::from(limit.get())
        && let Some(last) = bets.last()
    {
        let mut next = format!("/bets?limit={}&before={}", limit.get(), last.id);
        if let Some(status) = &query.status {
            next.push_str(&format!("&status={status}"));
        }
        if let Some(event_id) = &query.event_id {
            next.push_str(&format!("&event_id={event_id}"));
        }
        if let Owner::Account(account) = filter.owner
            && query.account_id.is_some()
        {
            next.push_str(&format!("&account_id={account}"));
        }
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    Ok(response.json(bets.iter().map(BetBody::from).collect::<Vec<_>>()))
}

/// Streams every matching bet from a server-side cursor as one JSON array. The cursor is
/// opened before answering, so a database failure is still a clean 503.
async fn stream_history(
    pool: Pool,
    filter: BetFilter,
    before: Option<i64>,
    permit: StreamPermit,
) -> Result<HttpResponse, ApiError> {
    let (opened, ready) = oneshot::channel::<Result<(), DbError>>();
    let (chunks, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(STREAM_BUFFER);
    tokio::spawn(async move {
        let _permit = permit;
        if let Err(error) = read_history(pool, filter, before, opened, &chunks).await {
            tracing::error!(%error, "the bet history stream broke off");
            let _ = chunks
                .send(Err(std::io::Error::other(
                    "the bet history stream broke off",
                )))
                .await;
        }
    });
    match ready.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "the history reader stopped"
            )));
        }
    }
    let body = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .streaming(body))
}

async fn read_history(
    pool: Pool,
    filter: BetFilter,
    before: Option<i64>,
    opened: oneshot::Sender<Result<(), DbError>>,
    chunks: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), DbError> {
    let opening = async {
        let client = pool.get().await?;
        Ok::<_, DbError>(client)
    };
    let mut client = match opening.await {
        Ok(client) => client,
        Err(error) => {
            let _ = opened.send(Err(error));
            return Ok(());
        }
    };
    let transaction = client
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await;
    let transaction = match transaction {
        Ok(transaction) => transaction,
        Err(error) => {
            let _ = opened.send(Err(error.into()));
            return Ok(());
        }
    };
    let portal = match db::open_history_cursor(&transaction, &filter, before).await {
        Ok(portal) => portal,
        Err(error) => {
            let _ = opened.send(Err(error));
            return Ok(());
        }
    };
    if opened.send(Ok(())).is_err() {
        return Ok(());
    }
    let mut first = true;
    loop {
        let bets = db::fetch_history(&transaction, &portal, STREAM_BATCH).await?;
        let last = bets.len() < STREAM_BATCH as usize;
        let mut chunk = Vec::with_capacity(bets.len() * 200 + 2);
        for bet in &bets {
            chunk.push(if first { b'[' } else { b',' });
            first = false;
            serde_json::to_writer(&mut chunk, &BetBody::from(bet))
                .map_err(|e| DbError::InvalidRow(e.to_string()))?;
        }
        if last {
            if first {
                chunk.push(b'[');
            }
            chunk.push(b']');
        }
        match tokio::time::timeout(STREAM_SEND_TIMEOUT, chunks.send(Ok(Bytes::from(chunk)))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Ok(()), // the client went away
            Err(_) => {
                tracing::warn!("a client stopped reading the bet history; ending the stream");
                return Ok(());
            }
        }
        if last {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

    use super::HistoryQuery;

    #[test]
    fn the_event_id_filter_documents_the_event_id_rule() {
        let parameters = HistoryQuery::into_params(|| None);
        let event_id = parameters
            .iter()
            .find(|parameter| parameter.name == "event_id")
            .unwrap();
        let schema = serde_json::to_value(&event_id.schema).unwrap();
        assert_eq!(schema["pattern"], shared_messages::event_id::PATTERN);
    }
}
