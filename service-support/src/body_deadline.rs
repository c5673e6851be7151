//! A deadline on a request's body. actix-web's `client_request_timeout` covers the request
//! head only: a client that sends a head, then part of its body, then nothing (or a byte a
//! second) held its connection for as long as it liked. A body not read in full within
//! [`BODY_DEADLINE`] of the request's start is answered 408 problem+json and the connection
//! closed.
//!
//! The timer is armed the first time the body keeps the request waiting (the handler usually
//! starts before the body's first chunk is handed over): one timer a request with a body.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::problem::{Problem, problem_response};

/// How long a request's body may take to arrive, from the start of the request.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The middleware (`actix_web::middleware::from_fn`): `service` names the problem's type.
pub async fn enforce(
    service: &'static str,
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !has_body(&request) {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let expired = Arc::new(AtomicBool::new(false));
    let body = Deadlined {
        inner: request.take_payload(),
        deadline: Instant::now() + BODY_DEADLINE,
        timer: None,
        expired: expired.clone(),
    };
    request.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    let response = next.call(request).await?;
    if !expired.load(Ordering::Relaxed) {
        return Ok(response.map_into_left_body());
    }
    let problem = Problem::new(
        service,
        "request-timeout",
        "Request Timeout",
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "the request body did not arrive within {} s; send the whole body at once",
            BODY_DEADLINE.as_secs()
        ),
    );
    let mut answer = problem_response(StatusCode::REQUEST_TIMEOUT, &problem);
    answer
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}

/// Whether the request says a body follows (a length above zero, or chunks).
fn has_body(request: &ServiceRequest) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value != "0")
}

/// A body that fails once its deadline passes while it is waited for.
struct Deadlined {
    inner: Payload,
    deadline: Instant,
    /// Armed the first time the body keeps the request waiting.
    timer: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

impl Stream for Deadlined {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.expired.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
