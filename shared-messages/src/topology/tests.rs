//! The contract's names and queue arguments, written out as the broker sees them, so that a
//! change to one shows here.

use super::*;

#[test]
fn the_default_topology_uses_the_names_of_the_contract() {
    let topology = Topology::default();
    assert_eq!(topology.exchange, "line.events");
    assert_eq!(topology.queue, "bet-maker.events");
    assert_eq!(topology.dead_letter_queue, "bet-maker.events.dlq");
    assert_eq!(BINDING_KEY, "event.#");
}

#[test]
fn a_prefixed_topology_keeps_the_contract_names_after_the_prefix() {
    let topology = Topology::with_prefix("t42");
    assert_eq!(topology.exchange, "t42.line.events");
    assert_eq!(topology.queue, "t42.bet-maker.events");
    assert_eq!(topology.dead_letter_queue, "t42.bet-maker.events.dlq");
}

#[test]
fn the_queue_is_a_quorum_queue_that_dead_letters_at_least_once_to_its_dlq() {
    let topology = Topology::default();
    assert_eq!(
        topology.queue_arguments(),
        [
            ("x-queue-type", ArgumentValue::Text("quorum")),
            ("x-delivery-limit", ArgumentValue::Integer(20)),
            ("x-dead-letter-exchange", ArgumentValue::Text("")),
            (
                "x-dead-letter-routing-key",
                ArgumentValue::Text("bet-maker.events.dlq")
            ),
            (
                "x-dead-letter-strategy",
                ArgumentValue::Text("at-least-once")
            ),
            ("x-overflow", ArgumentValue::Text("reject-publish")),
        ]
    );
    assert_eq!(
        topology.dead_letter_queue_arguments(),
        [("x-queue-type", ArgumentValue::Text("quorum"))]
    );
}

#[test]
fn classic_queues_are_declared_as_before_quorum_queues() {
    let topology = Topology::default().with_queue_type(QueueType::Classic);
    assert_eq!(
        topology.queue_arguments(),
        [
            ("x-dead-letter-exchange", ArgumentValue::Text("")),
            (
                "x-dead-letter-routing-key",
                ArgumentValue::Text("bet-maker.events.dlq")
            ),
        ]
    );
    assert!(topology.dead_letter_queue_arguments().is_empty());
    assert_eq!("classic".parse(), Ok(QueueType::Classic));
    assert_eq!("quorum".parse(), Ok(QueueType::Quorum));
    assert!("mirrored".parse::<QueueType>().is_err());
}
