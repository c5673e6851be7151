//! End-to-end tests of the whole system: both services against real Postgres and RabbitMQ,
//! including faults (broker outage, crashes, replays). They arrive with bet-maker.
