//! The bettor page's files, served from the binary, and CORS for the operator console's origin.

use crate::helpers::{Options, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_bettor_page_and_its_files_are_served_from_the_binary_with_a_strict_policy() {
    let app = spawn_app().await;
    for (path, media_type, contains) in [
        (
            "/",
            "text/html",
            r#"<script type="module" src="/page/bettor.js">"#,
        ),
        ("/page/bettor.js", "text/javascript", "accept_odds"),
        ("/page/style.css", "text/css", "font-family"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(media_type),
            "{path}"
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.starts_with("default-src 'self'"), "{path}: {policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(response.text().await.unwrap().contains(contains), "{path}");
    }
}

#[tokio::test]
async fn the_console_s_origin_may_read_exposure_and_others_may_not() {
    let app = spawn_app_with(Options {
        admin_token: Some("s3cret"),
        cors_allowed_origins: vec!["http://console.example:8080".to_owned()],
        ..Options::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/exposure"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let allowed = preflight("http://console.example:8080").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://console.example:8080"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    let other = preflight("http://elsewhere.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    // The answers themselves carry the header for the console's origin, a refusal included,
    // so the console can read the problem; another origin's get none.
    let read = |origin: &'static str, token: &'static str| {
        app.http
            .get(app.url("/exposure"))
            .header("Origin", origin)
            .bearer_auth(token)
            .send()
    };
    let answer = read("http://console.example:8080", "s3cret").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "http://console.example:8080"
    );
    let refused = read("http://console.example:8080", "wrong").await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        "http://console.example:8080"
    );
    let elsewhere = read("http://elsewhere.example", "s3cret").await.unwrap();
    assert!(
        !elsewhere
            .headers()
            .contains_key("access-control-allow-origin")
    );
}
