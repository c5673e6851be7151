//! The operator console's files, served from the binary, allowed to call bet-maker and nothing
//! else, and told where bet-maker is.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_console_is_served_from_the_binary_and_may_call_only_bet_maker() {
    let app = spawn_app().await;
    for (path, media_type, contains) in [
        (
            "/console",
            "text/html",
            r#"<script type="module" src="/console/console.js">"#,
        ),
        ("/console/console.js", "text/javascript", "/corrections"),
        ("/console/accounts.js", "text/javascript", "/deposits"),
        (
            "/console/ui.js",
            "text/javascript",
            "export function button",
        ),
        ("/console/style.css", "text/css", "font-family"),
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
        assert!(
            policy.contains("connect-src 'self' http://localhost:8081;"),
            "{path}: {policy}"
        );
        assert!(response.text().await.unwrap().contains(contains), "{path}");
    }
    let config: Value = app.get("/console/config.json").await.json().await.unwrap();
    assert_eq!(config, json!({ "bet_maker_url": "http://localhost:8081" }));
}
