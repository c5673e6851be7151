//! The bet-maker binary: without arguments it serves (configuration, logs, then the
//! application until SIGTERM/Ctrl-C); `bet-maker healthcheck` asks a running instance
//! whether it is ready.

use std::process::ExitCode;

use bet_maker::{Application, Settings, shutdown_signal};

fn main() -> anyhow::Result<ExitCode> {
    service_support::run::main(Settings::from_env, |settings| &settings.service, serve)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    application.run_until_stopped(shutdown_signal()).await
}
