//! Figure 6: GET /bets streaming the bets of one event, against psql writing the same rows.

use std::time::Duration;

use anyhow::ensure;
use serde_json::json;

use super::{Results, thousands};
use crate::baseline;
use crate::footprint::Watched;
use crate::load::{Call, Connection};
use crate::report::{Goal, Row};
use crate::system::System;

/// Figure 6: GET /bets of every bet of one event, streamed; against psql producing the same
/// rows as JSON.
pub async fn history(system: &System, event_id: &str, results: &mut Results) -> anyhow::Result<()> {
    let bets = system
        .bet_maker_count(&format!(
            "SELECT count(*) FROM bets WHERE event_id = '{event_id}'"
        ))
        .await?;
    let bet_maker: Watched = system.bet_maker_process();
    let rss_before = bet_maker.rss_mib();
    let sampler = bet_maker.sample_peak(Duration::from_millis(5));
    let mut connection = Connection::open(system.bet_maker_address).await?;
    let mut rows = 0_u64;
    let mut bytes = 0_u64;
    let (status, first_byte, total) = connection
        .stream(&Call::get(format!("/bets?event_id={event_id}")), |chunk| {
            bytes += chunk.len() as u64;
            rows += chunk.iter().filter(|&&b| b == b'{').count() as u64;
        })
        .await?;
    let peak = sampler.finish().await;
    ensure!(status == 200, "GET /bets answered {status}");
    ensure!(
        rows == bets as u64,
        "GET /bets streamed {rows} bets of {bets}"
    );

    let (psql_rows, psql_time) = baseline::psql_json(&system.bet_maker_database, event_id).await?;
    ensure!(
        psql_rows == rows,
        "psql produced {psql_rows} rows of {rows}"
    );
    let rate = rows as f64 / total.as_secs_f64();
    let psql_rate = psql_rows as f64 / psql_time.as_secs_f64();
    results.rows.push(
        Row::new(
            format!(
                "6 GET /bets streaming {} bets: rows per second",
                thousands(rows as usize)
            ),
            rate,
            "rows/s",
        )
        .baseline("psql row_to_json", psql_rate)
        .goal(Goal::RatioAtLeast(0.5))
        .details(json!({
            "rows": rows, "bytes": bytes, "seconds": total.as_secs_f64(),
            "psql_seconds": psql_time.as_secs_f64(),
        })),
    );
    results.rows.push(Row::new(
        "6 … time to first byte",
        first_byte.as_secs_f64() * 1000.0,
        "ms",
    ));
    results.rows.push(
        Row::new("6 … bet-maker peak resident memory meanwhile", peak, "MiB")
            .goal(Goal::Below(64.0))
            .details(json!({ "before_mib": rss_before })),
    );
    Ok(())
}
