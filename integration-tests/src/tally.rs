//! [`Tally`]: what a fault test counts of the messages it sent, as Jepsen's total-queue checker
//! (the one RabbitMQ's own Jepsen test runs) does: attempts, acknowledgements, what arrived,
//! what was lost and what arrived twice.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Messages (or changes) known by a key: sent, confirmed by the broker (or acknowledged by a
/// service), and received (or applied) at the other end, any number of times.
#[derive(Debug)]
pub struct Tally<K: Ord> {
    sent: BTreeSet<K>,
    confirmed: BTreeSet<K>,
    received: BTreeMap<K, usize>,
    /// What [`fmt::Display`] calls the received ones ("received", "applied").
    received_as: &'static str,
}

impl<K: Ord + Clone + fmt::Debug> Tally<K> {
    /// An empty tally that calls the messages at the other end `received_as`.
    pub fn new(received_as: &'static str) -> Self {
        Self {
            sent: BTreeSet::new(),
            confirmed: BTreeSet::new(),
            received: BTreeMap::new(),
            received_as,
        }
    }

    pub fn sent(&mut self, key: K) {
        self.sent.insert(key);
    }

    pub fn confirmed(&mut self, key: K) {
        self.confirmed.insert(key);
    }

    pub fn received(&mut self, key: K) {
        *self.received.entry(key).or_default() += 1;
    }

    pub fn sent_count(&self) -> usize {
        self.sent.len()
    }

    pub fn confirmed_count(&self) -> usize {
        self.confirmed.len()
    }

    /// Distinct keys received.
    pub fn received_count(&self) -> usize {
        self.received.len()
    }

    /// Confirmed and never received.
    pub fn lost(&self) -> Vec<K> {
        self.confirmed
            .iter()
            .filter(|key| !self.received.contains_key(key))
            .cloned()
            .collect()
    }

    /// Received more than once.
    pub fn duplicated(&self) -> Vec<K> {
        self.received
            .iter()
            .filter(|(_, times)| **times > 1)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Sent, received, never confirmed (the confirm was lost with its connection): allowed.
    pub fn recovered(&self) -> Vec<K> {
        self.received
            .keys()
            .filter(|key| self.sent.contains(key) && !self.confirmed.contains(key))
            .cloned()
            .collect()
    }

    /// Received and never sent.
    pub fn unexpected(&self) -> Vec<K> {
        self.received
            .keys()
            .filter(|key| !self.sent.contains(key))
            .cloned()
            .collect()
    }

    /// Fails the test, with the counts and the first keys of each kind, unless nothing
    /// confirmed was lost, nothing arrived twice and nothing arrived that was not sent.
    pub fn assert_valid(&self) {
        let (lost, duplicated, unexpected) = (self.lost(), self.duplicated(), self.unexpected());
        assert!(
            lost.is_empty() && duplicated.is_empty() && unexpected.is_empty(),
            "{self}\nlost: {:?}\nduplicated: {:?}\nunexpected: {:?}",
            first(&lost),
            first(&duplicated),
            first(&unexpected)
        );
    }
}

fn first<K>(keys: &[K]) -> &[K] {
    &keys[..keys.len().min(20)]
}

impl<K: Ord + Clone + fmt::Debug> fmt::Display for Tally<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent {}, confirmed {}, {} {}, lost {}, duplicated {}, recovered {}, unexpected {}",
            self.sent_count(),
            self.confirmed_count(),
            self.received_as,
            self.received_count(),
            self.lost().len(),
            self.duplicated().len(),
            self.recovered().len(),
            self.unexpected().len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn a_tally_counts_the_lost_the_duplicated_and_the_recovered() {
        let mut tally = Tally::new("received");
        for key in 0..5 {
            tally.sent(key);
        }
        for key in 0..4 {
            tally.confirmed(key);
        }
        for key in [0, 1, 1, 4, 9] {
            tally.received(key);
        }
        assert_eq!(tally.lost(), [2, 3]);
        assert_eq!(tally.duplicated(), [1]);
        assert_eq!(tally.recovered(), [4]);
        assert_eq!(tally.unexpected(), [9]);
        assert_eq!(
            tally.to_string(),
            "sent 5, confirmed 4, received 4, lost 2, duplicated 1, recovered 1, unexpected 1"
        );
        assert!(std::panic::catch_unwind(|| tally.assert_valid()).is_err());
    }
}
