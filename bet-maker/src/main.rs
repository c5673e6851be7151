//! The bet-maker binary: configuration, logs, then the application until SIGTERM/Ctrl-C.

use bet_maker::{Application, Settings, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    let application = Application::build(settings).await?;
    application.run_until_stopped(shutdown_signal()).await
}
