//! Figure 7: the services' resident memory, idle after start and after the run.

use std::time::Duration;

use super::Results;
use crate::report::{Goal, Row};
use crate::system::System;

/// Figure 7 (first part): resident memory of each service right after start.
pub async fn idle_footprint(system: &System, results: &mut Results) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, process) in [
        ("line-provider", system.line_provider_process()),
        ("bet-maker", system.bet_maker_process()),
    ] {
        results.rows.push(
            Row::new(
                format!("7 {name}: resident memory, idle after start"),
                process.rss_mib(),
                "MiB",
            )
            .goal(Goal::Below(20.0)),
        );
    }
}

/// Figure 7 (last part): resident memory of each service once the run is over.
pub async fn final_footprint(system: &System, results: &mut Results) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, process) in [
        ("line-provider", system.line_provider_process()),
        ("bet-maker", system.bet_maker_process()),
    ] {
        results.rows.push(Row::new(
            format!("7 {name}: resident memory, idle after the run"),
            process.rss_mib(),
            "MiB",
        ));
    }
}
