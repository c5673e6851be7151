//! `GET /bets`: newest first, filtered, paged with `limit` + `before`, streamed without.

use std::collections::HashSet;

use serde_json::Value;
use shared_messages::{EventChange, EventStatus};

use crate::helpers::{assert_problem, event, spawn_app};

fn ids(bets: &Value) -> Vec<String> {
    bets.as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_history_lists_every_bet_newest_first() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let mut placed = Vec::new();
    for amount in ["1", "2", "3"] {
        placed.push(
            app.place("e1", amount).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let bets = app.get_json("/bets").await;

    placed.reverse();
    assert_eq!(ids(&bets), placed);
    assert_eq!(bets[0]["amount"].to_string(), "3.00");
}

#[tokio::test]
async fn an_empty_history_is_an_empty_array() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/bets").await, serde_json::json!([]));
    assert_eq!(app.get_json("/bets?limit=10").await, serde_json::json!([]));
}

#[tokio::test]
async fn the_history_is_filtered_by_status_and_event() {
    let app = spawn_app().await;
    app.open_event("a", "2.00").await;
    app.open_event("b", "3.00").await;
    let on_a = app.place("a", "1").await;
    let on_b = app.place("b", "1").await;
    app.publish(
        EventChange::Finished,
        &event("a", 2, EventStatus::FinishedWin, "2.00"),
    )
    .await;
    app.wait_for_metric("bet_maker_messages_applied_total", 3.0)
        .await;

    assert_eq!(
        ids(&app.get_json("/bets?status=won").await),
        [on_a["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get_json("/bets?status=pending").await),
        [on_b["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get_json("/bets?status=lost").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app.get_json("/bets?event_id=b").await),
        [on_b["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get_json("/bets?event_id=b&limit=5").await),
        [on_b["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get_json("/bets?event_id=a&status=pending").await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn paging_with_limit_and_before_walks_every_bet_exactly_once() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let mut placed = Vec::new();
    for i in 1..=23 {
        placed.push(
            app.place("e1", &i.to_string()).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    placed.reverse();

    let mut walked = Vec::new();
    let mut path = "/bets?limit=5".to_owned();
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200);
        let next = response.headers().get("link").map(|link| {
            link.to_str()
                .unwrap()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        });
        let page: Value = response.json().await.unwrap();
        assert!(page.as_array().unwrap().len() <= 5);
        walked.extend(ids(&page));
        match next {
            Some(next) => path = next,
            None => break,
        }
    }

    assert_eq!(walked, placed, "every bet once, newest first");
    assert_eq!(walked.iter().collect::<HashSet<_>>().len(), 23);
}

#[tokio::test]
async fn a_streamed_history_larger_than_one_cursor_batch_is_one_valid_array() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let mut client_side = HashSet::new();
    for chunk in 0..6 {
        let requests = (0..200).map(|i| {
            app.bet(serde_json::json!({ "event_id": "e1", "amount": chunk * 200 + i + 1 }))
        });
        for response in futures_util::future::join_all(requests).await {
            assert_eq!(response.status(), 201);
            client_side.insert(
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }

    let bets = app.get_json("/bets").await;

    let streamed = ids(&bets);
    assert_eq!(streamed.len(), 1200);
    assert_eq!(
        streamed.iter().cloned().collect::<HashSet<_>>(),
        client_side
    );
}

#[tokio::test]
async fn invalid_history_queries_answer_422() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    app.place("e1", "1").await;
    for (query, field) in [
        ("status=cancelled", "status"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("before=xyz", "before"),
        ("event_id=a%20b", "event_id"),
    ] {
        let problem = assert_problem(app.get(&format!("/bets?{query}")).await, 422).await;
        assert_eq!(problem["field"], field, "for {query}");
    }
}

#[tokio::test]
async fn before_without_limit_streams_every_older_bet() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    let mut placed = Vec::new();
    for amount in ["1", "2", "3", "4"] {
        placed.push(
            app.place("e1", amount).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let older = app.get_json(&format!("/bets?before={}", placed[2])).await;

    assert_eq!(ids(&older), [placed[1].clone(), placed[0].clone()]);
}

#[tokio::test]
async fn a_before_that_names_no_bet_answers_404() {
    let app = spawn_app().await;
    let response = app
        .get("/bets?limit=5&before=01a20cba-b6f9-727b-92de-fca5b2426eef")
        .await;
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn a_client_streams_one_history_at_a_time_and_a_head_opens_none() {
    let app = spawn_app().await;
    app.open_event("e1", "2.00").await;
    // More than the kernel buffers hold: a stream its client does not read stays open.
    app.app_sql(
        "INSERT INTO bets (id, event_id, amount, coefficient)
         SELECT gen_random_uuid(), 'e1', 1, 2.00 FROM generate_series(1, 60000)",
    )
    .await;
    let unread = app.get("/bets").await;
    assert_eq!(unread.status(), 200);
    let second = app.get("/bets").await;
    let problem = assert_problem(second, 503).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("streaming a bet history already"),
        "{problem}"
    );
    // A page is no stream, nor is a HEAD: both are served meanwhile.
    assert_eq!(app.get("/bets?limit=10").await.status(), 200);
    let head = app.http.head(app.url("/bets")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    drop(unread);
    app.wait_until("the client may stream again", || async {
        let again = app.get("/bets").await;
        again.status() == 200 && ids(&again.json().await.unwrap()).len() == 60000
    })
    .await;
}
