//! What the figures were measured on: the processor, the memory, the servers' versions and the
//! commit, as the table's first line and in the JSON.

use std::time::Duration;

use procfs::Current;
use serde_json::json;

/// What the figures were measured on.
pub async fn machine() -> serde_json::Value {
    let cpu = procfs::CpuInfo::current().ok();
    let model = cpu
        .as_ref()
        .and_then(|c| c.model_name(0).map(str::to_owned))
        .unwrap_or_default();
    let cores = cpu.as_ref().map_or(0, procfs::CpuInfo::num_cores);
    let memory_gib = procfs::Meminfo::current()
        .map(|m| m.mem_total as f64 / f64::from(1 << 30))
        .unwrap_or_default();
    let postgres = match tokio_postgres::connect(
        &integration_tests::server_url(),
        tokio_postgres::NoTls,
    )
    .await
    {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            client
                .query_one("SHOW server_version", &[])
                .await
                .map(|row| row.get::<_, String>(0))
                .unwrap_or_default()
        }
        Err(_) => String::new(),
    };
    let rabbitmq = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::process::Command::new("rabbitmqctl")
            .args(["-q", "version"])
            .output(),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .filter(|o| o.status.success())
    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    .unwrap_or_else(|| "(rabbitmqctl not at hand)".to_owned());
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": model, "cores": cores, "memory_gib": (memory_gib * 10.0).round() / 10.0,
        "postgres": postgres, "rabbitmq": rabbitmq, "commit": commit,
        "date": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    })
}

pub fn machine_line(machine: &serde_json::Value) -> String {
    format!(
        "Machine: {} ({} cores), {} GiB; PostgreSQL {}, RabbitMQ {}; commit {}, {}",
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["memory_gib"],
        machine["postgres"].as_str().unwrap_or("?"),
        machine["rabbitmq"].as_str().unwrap_or("?"),
        machine["commit"].as_str().unwrap_or("?"),
        machine["date"].as_str().unwrap_or("?"),
    )
}
