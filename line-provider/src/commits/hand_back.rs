//! What the writer gives back to the requests: work handed back to be done alone, counted by
//! why, and the answers of a batch that failed.

use tokio::sync::oneshot;

use super::Handed;
use crate::db::DbError;
use crate::metrics::Metrics;

/// Why the writer handed a piece of work back to its request
/// (`line_provider_commit_handed_back_total{reason}`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Why {
    /// The batch's write left the change out: its event is held by another session (another
    /// replica's change, a re-publication), or was changed by one since the batch read it.
    HeldOrChanged,
    /// The batch read no such event: the change made alone answers for it (404).
    NotFound,
    /// The batch failed because of one of its pieces: each fails or succeeds alone.
    BatchFailed,
}

impl Why {
    /// Every reason, so that each is on `/metrics` (at 0) from the start.
    pub(super) const ALL: [Self; 3] = [Self::HeldOrChanged, Self::NotFound, Self::BatchFailed];

    /// The metric's `reason` label.
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::HeldOrChanged => "held_or_changed",
            Self::NotFound => "not_found",
            Self::BatchFailed => "batch_failed",
        }
    }
}

/// Hands a piece of work back to its request, to be done alone, and counts it (unless the
/// request is gone: then nothing is done alone).
pub(super) fn hand_back<T, E>(
    metrics: &Metrics,
    answer: oneshot::Sender<Result<Handed<T>, E>>,
    why: Why,
) {
    if answer.send(Ok(Handed::Alone)).is_ok() {
        metrics
            .commit_handed_back
            .with_label_values(&[why.label()])
            .inc();
    }
}

/// Answers the pieces of a batch that failed with `error`: the database unavailable (503) as
/// it was; anything else is handed back, so that the piece at fault fails alone with its own
/// error.
pub(super) fn fail_all<T, E: From<DbError>>(
    metrics: &Metrics,
    answers: impl IntoIterator<Item = oneshot::Sender<Result<Handed<T>, E>>>,
    error: &DbError,
) {
    let unavailable = unavailable(error);
    for answer in answers {
        match &unavailable {
            Some(copy) => {
                let _ = answer.send(Err(E::from(copy())));
            }
            None => hand_back(metrics, answer, Why::BatchFailed),
        }
    }
}

/// Whether `error` says the database cannot serve now (rather than that a piece of the work
/// is at fault).
pub(super) fn is_unavailable(error: &DbError) -> bool {
    unavailable(error).is_some()
}

/// For an error that says the database cannot serve now, a way to give each piece of work the
/// same error; `None` for an error of the work itself.
fn unavailable(error: &DbError) -> Option<impl Fn() -> DbError + use<>> {
    let copy = match error {
        DbError::Unavailable(reason) => Some(reason.clone()),
        DbError::LockTimeout => None,
        _ => return None,
    };
    Some(move || match &copy {
        Some(reason) => DbError::Unavailable(reason.clone()),
        None => DbError::LockTimeout,
    })
}
