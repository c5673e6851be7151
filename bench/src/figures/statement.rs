//! Figure 12: a page of 100 lines of a statement of 100 000 lines, against the same page of a
//! statement of 100 lines; and `GET /ledger` over the whole ledger (over 1 000 000 lines in
//! the full run), against `GET /ledger` at the start of the run, when the ledger held about
//! 100 lines. Both read what an index or 32 rows of totals give, whatever the length.

use std::sync::Arc;

use serde_json::json;

use super::{Results, seeding, thousands};
use crate::load::{self, Call, Measured};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, TOKEN};

const READERS: &str = "statement";
/// Lines of the short statement, and of the ledger when its baseline is measured.
const SHORT: usize = 100;
/// One reader at a time: what a page costs, not how the machine queues many.
const CLIENTS: usize = 1;

async fn read(system: &System, sizes: &Sizes, call: Call) -> anyhow::Result<Measured> {
    let call = Arc::new(call);
    load::run(
        system.bet_maker_address,
        CLIENTS,
        200,
        sizes.warmup,
        sizes.load / 2,
        Arc::new(move |_, _| (*call).clone()),
    )
    .await
}

fn ledger_call() -> Call {
    Call::get("/ledger").with_token(TOKEN)
}

async fn ledger_lines(system: &System) -> anyhow::Result<usize> {
    Ok(system
        .bet_maker_count("SELECT count(*) FROM ledger")
        .await? as usize)
}

/// Pages of the totals' table: what `GET /ledger` reads grows with them, not with the lines
/// (every movement rewrites a row of it; a long transaction keeps the old versions, and a
/// vacuum frees them without giving the pages back).
async fn totals_pages(system: &System) -> anyhow::Result<i64> {
    system
        .bet_maker_count("SELECT pg_relation_size('ledger_totals') / 8192")
        .await
}

/// What the ledger cost before the run filled it.
pub struct EarlyLedger {
    lines: usize,
    pages: i64,
    measured: Measured,
}

/// Opens the short statement's account (its 100 lines are the ledger's first) and measures
/// `GET /ledger` over them: figure 12's baseline, taken first thing in the run.
pub async fn early_ledger(system: &System, sizes: &Sizes) -> anyhow::Result<EarlyLedger> {
    seeding::accounts(system, READERS, 2, "0.01").await?;
    seeding::deposits(system, READERS, 1, SHORT - 1).await?;
    let lines = ledger_lines(system).await?;
    let pages = totals_pages(system).await?;
    let measured = read(system, sizes, ledger_call()).await?;
    Ok(EarlyLedger {
        lines,
        pages,
        measured,
    })
}

/// Figure 12, after the run has filled the ledger (with at least `sizes.ledger_lines`).
pub async fn statement(
    system: &System,
    sizes: &Sizes,
    early: EarlyLedger,
    results: &mut Results,
) -> anyhow::Result<()> {
    let long = sizes.statement_lines;
    seeding::deposits(system, READERS, 2, long - 1).await?;
    let filled = ledger_lines(system).await?;
    if filled < sizes.ledger_lines {
        seeding::accounts(system, "filler", 1, "0.01").await?;
        seeding::deposits(system, "filler", 1, sizes.ledger_lines - filled).await?;
    }
    system.settle().await?;
    let page = |i: usize| {
        Call::get(format!("/account/statement?limit={SHORT}"))
            .with_token(seeding::token(READERS, i))
    };
    let short = read(system, sizes, page(1)).await?;
    let long_read = read(system, sizes, page(2)).await?;
    results.run(
        format!("GET /account/statement, {SHORT} of {SHORT} lines"),
        &short,
    );
    results.run(
        format!(
            "GET /account/statement, {SHORT} of {} lines",
            thousands(long)
        ),
        &long_read,
    );
    let lines = ledger_lines(system).await?;
    let pages = totals_pages(system).await?;
    let ledger = read(system, sizes, ledger_call()).await?;
    results.run(
        format!("GET /ledger over {} lines", thousands(early.lines)),
        &early.measured,
    );
    results.run(
        format!("GET /ledger over {} lines", thousands(lines)),
        &ledger,
    );
    results.rows.extend([
        Row::new(
            format!(
                "12 GET /account/statement, a page of {SHORT} of {} lines, {CLIENTS} client: p99 (p50 {:.2})",
                thousands(long),
                long_read.p50_ms
            ),
            long_read.p99_ms,
            "ms",
        )
        .baseline(format!("the same page of {SHORT} lines"), short.p99_ms)
        .goal(Goal::Below(5.0))
        .details(json!({ "long": long_read, "short": short })),
        Row::new(
            format!(
                "12 GET /ledger over {} lines, {CLIENTS} client: p50 (p99 {:.2}, at the start {:.2}; totals {pages} pages, at the start {})",
                thousands(lines),
                ledger.p99_ms,
                early.measured.p99_ms,
                early.pages
            ),
            ledger.p50_ms,
            "ms",
        )
        .baseline(format!("p50 over {} lines", thousands(early.lines)), early.measured.p50_ms)
        .goal(Goal::RatioAtMost(1.2))
        .details(json!({ "filled": ledger, "early": early.measured })),
    ]);
    Ok(())
}
