//! Figure 11: an event with many account bets (1 000 000 over 100 000 accounts in the full
//! run), all winning, finished while 8 clients bet from other accounts on other events. The
//! result reaches a bet at once and its owner's balance on the owner's first read (pull on
//! touch); the payout worker takes every wallet in the background, a 1-bet event finished
//! meanwhile is not held back, and the whole payout is compared with a bare `UPDATE` of the
//! same bet rows in the same run, under the same load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde_json::json;

use super::{
    Results, bet_call, contains, payout_floor, poll_until, seeding, thousands, wait_count,
};
use crate::load::{self, Call, Connection, MakeCall, Measured};
use crate::report::{Goal, Row};
use crate::sizes::Sizes;
use crate::system::{System, TOKEN, finish_call};

const OWNERS: &str = "wallet";
const SPENDERS: &str = "spender";
const SPENDER_ACCOUNTS: usize = 1_000;
/// The account of the 1-bet event: it places no other bet, so only the worker pays it.
const SINGLE: &str = "single";
const DEPOSIT: &str = "1000.00";
const BIG: &str = "wallets";
const OTHER: &str = "wallets-one";
/// Owners who read their account while the worker pays, each once.
const SAMPLED_OWNERS: usize = 200;
/// How long the 1-bet event waits after the big one; how long the payout may take.
const AFTER_THE_FINISH: Duration = Duration::from_millis(200);
const PAYOUT_LIMIT: Duration = Duration::from_secs(1800);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What the seeding left to measure with: the 1-bet event's bet, the big event's first bet,
/// and bets from the spenders' accounts on the betting events.
struct Seeded {
    other_bet: String,
    sample: uuid::Uuid,
    spend: MakeCall,
}

/// What the payout measured, from the big event's finish.
struct Payout {
    settled: Duration,
    owner_shown: Duration,
    one_paid: Duration,
    reads: Measured,
    all_paid: Duration,
}

/// Figure 11.
pub async fn payouts(system: &System, sizes: &Sizes, results: &mut Results) -> anyhow::Result<()> {
    let (bets, accounts) = (sizes.wallet_bets, sizes.wallet_accounts);
    let seeded = seed(system, bets, accounts).await?;
    let quiet = load::run(
        system.bet_maker_address,
        8,
        201,
        sizes.warmup,
        sizes.load / 2,
        seeded.spend.clone(),
    )
    .await?;
    results.run(
        "POST /bet from accounts, 8 clients, quiet (figure 11)",
        &quiet,
    );
    let mut load =
        load::Load::start(system.bet_maker_address, 8, 201, seeded.spend.clone()).await?;
    tokio::time::sleep(sizes.warmup).await;
    load.measure();
    let payout = watch(system, &seeded, accounts).await?;
    let during = load.finish().await?;
    results.run(
        "POST /bet from accounts, 8 clients, during the payout (figure 11)",
        &during,
    );
    payout_floor::check_wallets(system, OWNERS, DEPOSIT, accounts, bets).await?;
    let floors = payout_floor::baselines(system, sizes, BIG, bets, seeded.spend).await?;
    results.run(
        "POST /bet from accounts, 8 clients, during the bare UPDATE (figure 11)",
        &floors.bare_load,
    );

    let size = format!(
        "{} account bets over {} accounts",
        thousands(bets),
        thousands(accounts)
    );
    let rate = bets as f64 / payout.all_paid.as_secs_f64();
    results.rows.extend([
        Row::new(
            format!("11 finish {size}: 200 → a bet of it won"),
            ms(payout.settled),
            "ms",
        )
        .goal(Goal::Below(50.0)),
        Row::new(
            "11 … 200 → its owner's GET /account shows the win (pull on touch)",
            ms(payout.owner_shown),
            "ms",
        )
        .goal(Goal::Below(100.0)),
        Row::new(
            format!(
                "11 … {SAMPLED_OWNERS} owners' GET /account while the worker pays: p99 (p50 {:.2})",
                payout.reads.p50_ms
            ),
            payout.reads.p99_ms,
            "ms",
        )
        .goal(Goal::Below(100.0)),
        Row::new(
            format!(
                "11 … 1-bet account event finished {} ms later: 200 → its wallet paid",
                AFTER_THE_FINISH.as_millis()
            ),
            ms(payout.one_paid),
            "ms",
        )
        .goal(Goal::Below(1000.0)),
        Row::new(
            format!("11 … every wallet paid: 200 → unpaid_bets 0 ({rate:.0} bets/s)"),
            payout.all_paid.as_secs_f64(),
            "s",
        )
        .baseline(
            "bare UPDATE of the same bet rows, under the same load",
            floors.bare.as_secs_f64(),
        )
        .goal(Goal::RatioAtMost(3.0))
        .details(json!({ "bets": bets, "accounts": accounts, "bets_per_second": rate })),
        Row::new(
            "11 … every wallet paid, against every write a payout makes, bare",
            payout.all_paid.as_secs_f64(),
            "s",
        )
        .baseline(
            "bets, accounts and lines written by 3 set-based statements, same load",
            floors.writes.as_secs_f64(),
        ),
        Row::new(
            "11 POST /bet from accounts p99 on other events meanwhile",
            during.p99_ms,
            "ms",
        )
        .baseline("quiet p99", quiet.p99_ms)
        .goal(Goal::RatioAtMost(1.2))
        .details(json!({ "during": during, "quiet": quiet })),
        Row::new(
            "11 … the same while a bare UPDATE of the event's bets runs instead",
            floors.bare_load.p99_ms,
            "ms",
        )
        .baseline("quiet p99", quiet.p99_ms),
    ]);
    Ok(())
}

/// The big event with `bets` account bets over `accounts` accounts, the 1-bet event with its
/// bet (through the API), the spenders' accounts; vacuumed and analysed.
async fn seed(system: &System, bets: usize, accounts: usize) -> anyhow::Result<Seeded> {
    system
        .create_events(&[BIG.to_owned(), OTHER.to_owned()], 1)
        .await?;
    wait_count(
        system,
        &format!("SELECT count(*) FROM events WHERE id IN ('{BIG}', '{OTHER}')"),
        2,
    )
    .await?;
    seeding::accounts(system, OWNERS, accounts, DEPOSIT).await?;
    seeding::account_bets(system, BIG, OWNERS, accounts, DEPOSIT, bets).await?;
    seeding::accounts(system, SPENDERS, SPENDER_ACCOUNTS, "1000000.00").await?;
    seeding::accounts(system, SINGLE, 1, DEPOSIT).await?;
    let mut bet_maker = Connection::open(system.bet_maker_address).await?;
    let bet = Call::post("/bet", format!(r#"{{"event_id":"{OTHER}","amount":5.00}}"#))
        .with_token(seeding::token(SINGLE, 1));
    let (status, body) = bet_maker.send(&bet).await?;
    ensure!(status == 201, "betting on {OTHER} answered {status}");
    let other_bet = serde_json::from_slice::<serde_json::Value>(&body)?["id"]
        .as_str()
        .context("a bet id")?
        .to_owned();
    let sample: uuid::Uuid = system
        .bet_maker_db
        .query_one(
            "SELECT id FROM bets WHERE event_id = $1 ORDER BY seq LIMIT 1",
            &[&BIG],
        )
        .await?
        .get(0);
    system.settle().await?;
    let spenders: &'static [&'static str] = Box::leak(
        (1..=SPENDER_ACCOUNTS)
            .map(|i| seeding::token(SPENDERS, i))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let spend: MakeCall = Arc::new(move |client: usize, n: u64| {
        let mut call = bet_call(client, n);
        call.token = Some(spenders[(client * 131 + n as usize) % SPENDER_ACCOUNTS]);
        call
    });
    Ok(Seeded {
        other_bet,
        sample,
        spend,
    })
}

/// Finishes the big event and follows its payout until every wallet is paid.
async fn watch(system: &System, seeded: &Seeded, accounts: usize) -> anyhow::Result<Payout> {
    // Fresh connections: the service closes one left idle through the seeding.
    let mut bet_maker = Connection::open(system.bet_maker_address).await?;
    let mut line_provider = Connection::open(system.line_provider_address).await?;
    let (status, _) = line_provider.send(&finish_call(BIG, true)).await?;
    ensure!(status == 200, "finishing {BIG} answered {status}");
    let finished = Instant::now();
    let won = Call::get(format!("/bets/{}", seeded.sample)).with_token(TOKEN);
    poll_until(&mut bet_maker, &won, finished, |body| {
        contains(body, br#""status":"won""#)
    })
    .await
    .with_context(|| format!("{BIG} never settled"))?;
    let settled = finished.elapsed();
    // The owner the worker reaches last in each of its rounds.
    let owner = Call::get("/account").with_token(seeding::token(OWNERS, accounts));
    poll_until(&mut bet_maker, &owner, finished, |body| {
        contains(body, br#""held":0.00"#)
    })
    .await
    .context("the owner's account never showed the win")?;
    let owner_shown = finished.elapsed();

    tokio::time::sleep(AFTER_THE_FINISH.saturating_sub(finished.elapsed())).await;
    let (status, _) = line_provider.send(&finish_call(OTHER, false)).await?;
    ensure!(status == 200, "finishing {OTHER} answered {status}");
    let other_finished = Instant::now();
    let paid = Call::get(format!("/bets/{}", seeded.other_bet)).with_token(TOKEN);
    poll_until(&mut bet_maker, &paid, other_finished, |body| {
        !contains(body, br#""paid_at":null"#)
    })
    .await
    .context("the 1-bet event's wallet was never paid")?;
    let one_paid = other_finished.elapsed();

    // Owners reading their account while the worker pays: each read must show the win.
    let mut reads = load::histogram();
    for i in (accounts.saturating_sub(SAMPLED_OWNERS).max(1)..accounts).rev() {
        let call = Call::get("/account").with_token(seeding::token(OWNERS, i));
        let asked = Instant::now();
        let (status, body) = bet_maker.send(&call).await?;
        reads.saturating_record(asked.elapsed().as_micros() as u64);
        ensure!(
            status == 200 && contains(&body, br#""held":0.00"#),
            "owner {i} read a balance without the win: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    let reads = Measured::from_histogram(1, &reads, 0.0);

    let ledger = Call::get("/ledger").with_token(TOKEN);
    loop {
        let (status, body) = bet_maker.send(&ledger).await?;
        if status == 200 && contains(&body, br#""unpaid_bets":0"#) {
            break;
        }
        ensure!(
            finished.elapsed() < PAYOUT_LIMIT,
            "the payout took over {PAYOUT_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Payout {
        settled,
        owner_shown,
        one_paid,
        reads,
        all_paid: finished.elapsed(),
    })
}
