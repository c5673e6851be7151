//! The bet-maker binary: without arguments it serves (configuration, logs, then the application
//! until SIGTERM/Ctrl-C); `bet-maker healthcheck` asks a running instance whether it is ready.

use std::process::ExitCode;

use bet_maker::{Application, Settings, shutdown_signal};
use service_support::{healthcheck, telemetry};

fn main() -> anyhow::Result<ExitCode> {
    match std::env::args().nth(1).as_deref() {
        None => serve().map(|()| ExitCode::SUCCESS),
        Some("healthcheck") => Ok(healthcheck::run(|| {
            Settings::from_env().map(|settings| (settings.bind_address, settings.port))
        })),
        Some(other) => anyhow::bail!(
            "unknown command {other:?}: run without arguments to serve, or `healthcheck`"
        ),
    }
}

#[tokio::main]
async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    let application = Application::build(settings).await?;
    application.run_until_stopped(shutdown_signal()).await
}
