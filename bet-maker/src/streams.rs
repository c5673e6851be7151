//! The permits of `GET /bets` streams, which hold a database connection for as long as their
//! client reads: a few for the whole service, and one at a time for each holder (a bettor's
//! account, or the source address of a request without one), so that one client's loops can
//! no longer keep everybody else at 503.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// Who holds a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A bettor, whatever address they read from.
    Account(Uuid),
    /// Anyone else (the operator, a client without a token), by source address.
    Address(IpAddr),
}

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every permit of the service is held.
    Full,
    /// This holder already has its stream.
    AlreadyStreaming,
}

/// The streams being served.
#[derive(Debug)]
pub struct Streams {
    total: Arc<Semaphore>,
    holders: Mutex<HashSet<Holder>>,
}

impl Streams {
    /// At most `total` streams at once, one a holder.
    pub fn new(total: usize) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(total)),
            holders: Mutex::new(HashSet::new()),
        })
    }

    /// A permit for `holder`, released when dropped; never waits.
    pub fn try_acquire(self: &Arc<Self>, holder: Holder) -> Result<StreamPermit, Refusal> {
        let mut holders = self.holders.lock().unwrap_or_else(PoisonError::into_inner);
        if holders.contains(&holder) {
            return Err(Refusal::AlreadyStreaming);
        }
        let permit = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Full)?;
        holders.insert(holder);
        Ok(StreamPermit {
            _permit: permit,
            holder,
            streams: self.clone(),
        })
    }
}

/// One stream's place; its holder may stream again once it is dropped.
#[derive(Debug)]
pub struct StreamPermit {
    _permit: OwnedSemaphorePermit,
    holder: Holder,
    streams: Arc<Streams>,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        self.streams
            .holders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.holder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_streams_once_at_a_time_and_the_service_at_most_its_total() {
        let streams = Streams::new(2);
        let one = Holder::Address([10, 0, 0, 1].into());
        let two = Holder::Account(Uuid::nil());
        let three = Holder::Address([10, 0, 0, 3].into());
        let first = streams.try_acquire(one).unwrap();
        assert_eq!(
            streams.try_acquire(one).unwrap_err(),
            Refusal::AlreadyStreaming
        );
        let _second = streams.try_acquire(two).unwrap();
        assert_eq!(streams.try_acquire(three).unwrap_err(), Refusal::Full);
        drop(first);
        assert!(streams.try_acquire(one).is_ok());
    }
}
