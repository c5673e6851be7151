//! Whose bets: a bettor sees only their own, the operator every bet, nobody the anonymous
//! ones; an Idempotency-Key belongs to the account that sends it; `ANONYMOUS_BETS=false`.

use serde_json::{Value, json};

use super::bets::{bet_as, funded};
use super::{OPERATOR, account, app, assert_reconciled, get_with};
use crate::helpers::{Options, TestApp, assert_problem, spawn_app_with};

async fn keyed_bet(app: &TestApp, token: Option<&str>, key: &str) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/bet"))
        .header("Idempotency-Key", key)
        .json(&json!({ "event_id": "match-1", "amount": "10.00" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn ids(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let bets: Value = response.json().await.unwrap();
    let mut ids: Vec<String> = bets
        .as_array()
        .unwrap()
        .iter()
        .map(|bet| bet["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_account_that_sends_it() {
    let app = app().await;
    let (_, ada) = funded(&app, "Ada", "100.00").await;
    let (_, bob) = funded(&app, "Bob", "100.00").await;
    app.open_event("match-1", "2.00").await;

    let mut first = Vec::new();
    for token in [Some(ada.as_str()), Some(bob.as_str()), None] {
        let response = keyed_bet(&app, token, "slip-1").await;
        assert_eq!(response.status(), 201, "{token:?}");
        first.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    assert_ne!(first[0], first[1]);
    assert_ne!(first[1], first[2]);
    for (token, earlier) in [Some(ada.as_str()), Some(bob.as_str()), None]
        .into_iter()
        .zip(&first)
    {
        let replay = keyed_bet(&app, token, "slip-1").await;
        assert_eq!(replay.status(), 200, "{token:?}");
        assert_eq!(&replay.json::<Value>().await.unwrap()["id"], earlier);
    }
    // A replay takes no second stake.
    assert_eq!(account(&app, &ada).await["available"].to_string(), "90.00");
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 3);

    // Racing one key from one account: one bet, one stake.
    let racing = (0..16).map(|_| keyed_bet(&app, Some(&ada), "slip-2"));
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(account(&app, &ada).await["available"].to_string(), "80.00");

    // The same when the stake is all there is: the late requests answer the bet, not a
    // refusal for the money it took.
    let (_, all_in) = funded(&app, "All-in", "10.00").await;
    let racing = (0..16).map(|_| keyed_bet(&app, Some(&all_in), "slip-3"));
    let mut statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[200; 15].as_slice(), &[201]].concat());
    assert_reconciled(&app).await;
}

#[tokio::test]
async fn a_bettor_sees_only_their_own_bets_the_operator_all_and_nobody_the_anonymous_ones() {
    let app = app().await;
    let (ada_id, ada) = funded(&app, "Ada", "100.00").await;
    let (bob_id, bob) = funded(&app, "Bob", "100.00").await;
    app.open_event("match-1", "2.00").await;
    let id_of = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ada_bet = id_of(bet_as(&app, &ada, "match-1", "10.00").await).await;
    let bob_bet = id_of(bet_as(&app, &bob, "match-1", "10.00").await).await;
    let anonymous_bet = app.place("match-1", "10.00").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };

    assert_eq!(
        ids(get_with(&app, "/bets", &ada).await).await,
        [ada_bet.as_str()]
    );
    assert_eq!(
        ids(get_with(&app, "/bets?limit=10", &bob).await).await,
        [bob_bet.as_str()]
    );
    assert_eq!(ids(app.get("/bets").await).await, [anonymous_bet.as_str()]);
    assert_eq!(
        ids(get_with(&app, "/bets", OPERATOR).await).await,
        sorted(vec![
            ada_bet.clone(),
            bob_bet.clone(),
            anonymous_bet.clone()
        ])
    );
    let of_bob = format!("/bets?limit=10&account_id={bob_id}");
    assert_eq!(
        ids(get_with(&app, &of_bob, OPERATOR).await).await,
        [bob_bet.as_str()]
    );
    let own = format!("/bets?account_id={ada_id}");
    assert_eq!(
        ids(get_with(&app, &own, &ada).await).await,
        [ada_bet.as_str()]
    );
    assert_problem(get_with(&app, &of_bob, &ada).await, 422).await;
    assert_problem(app.get(&of_bob).await, 422).await;
    assert_problem(get_with(&app, "/bets", "bm_not-a-token").await, 401).await;

    // Nor is another's bet a place to page from.
    let after_ada = format!("/bets?limit=10&before={ada_bet}");
    assert_problem(get_with(&app, &after_ada, &bob).await, 404).await;
    assert_eq!(get_with(&app, &after_ada, OPERATOR).await.status(), 200);

    let ada_path = format!("/bets/{ada_bet}");
    assert_eq!(get_with(&app, &ada_path, &ada).await.status(), 200);
    assert_eq!(get_with(&app, &ada_path, OPERATOR).await.status(), 200);
    assert_problem(get_with(&app, &ada_path, &bob).await, 404).await;
    assert_problem(app.get(&ada_path).await, 404).await;
    let anonymous_path = format!("/bets/{anonymous_bet}");
    assert_eq!(get_with(&app, &anonymous_path, &bob).await.status(), 200);
}

#[tokio::test]
async fn without_anonymous_bets_a_bet_needs_a_bettor_s_token() {
    let app = spawn_app_with(Options {
        admin_token: Some(OPERATOR),
        accounts: true,
        refuse_anonymous_bets: true,
        ..Options::default()
    })
    .await;
    let (_, ada) = funded(&app, "Ada", "100.00").await;
    app.open_event("match-1", "2.00").await;
    let body = json!({ "event_id": "match-1", "amount": "10.00" });
    let problem = assert_problem(app.bet(body.clone()).await, 401).await;
    assert!(problem["type"].as_str().unwrap().ends_with("unauthorized"));
    let as_operator = app
        .http
        .post(app.url("/bet"))
        .bearer_auth(OPERATOR)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(as_operator, 401).await;
    assert_eq!(bet_as(&app, &ada, "match-1", "10.00").await.status(), 201);
    assert_eq!(app.sql_count("SELECT count(*) FROM bets").await, 1);
}

#[tokio::test]
async fn a_book_without_accounts_lists_every_bet_whatever_token_comes() {
    let app = crate::helpers::spawn_app().await;
    app.open_event("match-1", "2.00").await;
    app.place("match-1", "10.00").await;
    let response = get_with(&app, "/bets", "anything").await;
    assert_eq!(ids(response).await.len(), 1);
}
