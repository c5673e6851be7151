//! The liability limit under concurrency: many clients on one event never take it above its
//! limit, fill it to within one stake, and a limit raised while they bet is never exceeded.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::limits::{bet, liability_of_bets, limited};

#[tokio::test]
async fn sixty_four_clients_never_take_the_liability_above_the_limit_and_fill_it() {
    let app = Arc::new(spawn_app().await);
    // Odds of 2.00: a stake's liability is the stake. Stakes of 1 to 5 against 1 000.00.
    app.publish_open(&limited("e1", 1, "2.00", (Some("1"), None), Some("1000")))
        .await;

    let clients = (0..64).map(|client| {
        let app = app.clone();
        tokio::spawn(async move {
            let amount = format!("{}.00", 1 + client % 5);
            let mut placed = 0_u32;
            loop {
                let response = bet(&app, "e1", &amount).await;
                match response.status().as_u16() {
                    201 => placed += 1,
                    409 => {
                        let problem: Value = response.json().await.unwrap();
                        assert!(
                            problem["type"]
                                .as_str()
                                .unwrap()
                                .ends_with("liability-limit"),
                            "{problem}"
                        );
                        return placed;
                    }
                    status => panic!("unexpected {status}"),
                }
            }
        })
    });
    let mut placed = 0;
    for client in clients {
        placed += client.await.unwrap();
    }

    let taken = liability_of_bets(&app, "e1").await;
    let limit = Decimal::new(1000, 0);
    assert!(taken <= limit, "the liability {taken} went above the limit");
    // Every client stopped only when its stake no longer fitted: less than the smallest
    // stake (1.00) is left.
    assert!(
        limit - taken < Decimal::ONE,
        "only {taken} of {limit} was filled"
    );
    let stored = app.sql_count("SELECT count(*) FROM bets").await;
    assert_eq!(
        i64::from(placed),
        stored,
        "every 201 is a stored bet, and only those"
    );
    // The tally the limit is kept in agrees with the bets.
    let tallied: Decimal = app
        .sql_text("SELECT sum(payout - stake)::text FROM event_tallies WHERE event_id = 'e1'")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(tallied, taken);
    // Near the limit, stripes ran dry and bets were decided on the whole limit.
    assert!(
        app.metric("bet_maker_liability_limit_spreads_total")
            .await
            .unwrap()
            > 0.0
    );
}

#[tokio::test]
async fn limits_raised_while_bets_pour_in_are_never_exceeded_and_end_filled() {
    let app = Arc::new(spawn_app().await);
    app.publish_open(&limited("e1", 1, "2.00", (None, None), Some("100")))
        .await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (app, stop) = (app.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let status = bet(&app, "e1", "1").await.status().as_u16();
                    assert!(status == 201 || status == 409, "{status}");
                }
            })
        })
        .collect();
    // Each raise is spread by the consumer while bets run on every stripe.
    for (version, limit) in [(2, "150"), (3, "220"), (4, "300")] {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        app.publish_open(&limited("e1", version, "2.00", (None, None), Some(limit)))
            .await;
        let taken = liability_of_bets(&app, "e1").await;
        assert!(taken <= limit.parse().unwrap(), "{taken} above {limit}");
    }
    app.wait_until("the last limit is filled", || async {
        liability_of_bets(&app, "e1").await >= Decimal::new(300, 0)
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let taken = liability_of_bets(&app, "e1").await;
    assert_eq!(
        taken,
        Decimal::new(300, 0),
        "filled to the last limit, not beyond"
    );
}
