//! What compose gives each service (variables, addresses, database roles, ports) against what
//! the service reads, and what it does without any.

use serde_json::Value;
use shared_messages::Topology;

use crate::{cluster, compose, environment, read, services};

#[test]
fn compose_sets_only_variables_the_services_read() {
    for (service, variables, _) in services() {
        let overridden = cluster()["services"][service]["environment"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for name in environment(service).keys().chain(overridden.keys()) {
            assert!(
                variables.contains(&name.as_str()),
                "{service}: compose sets {name}, which it never reads"
            );
        }
    }
}

#[test]
fn compose_points_each_service_at_the_database_and_broker_containers() {
    for (service, _, _) in services() {
        let env = environment(service);
        let database = env["DATABASE_URL"].as_str().unwrap();
        let broker = env["AMQP_URL"].as_str().unwrap();
        assert!(
            database.contains("@postgres:5432/"),
            "{service}: {database}"
        );
        assert!(broker.contains("@rabbitmq:5672/"), "{service}: {broker}");
        assert_eq!(env["LOG_FORMAT"], "json", "{service}: containers log JSON");
    }
    for service in ["line-provider", "bet-maker"] {
        let token = environment(service)["ADMIN_TOKEN"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            token.starts_with("${ADMIN_TOKEN:?"),
            "{service}: compose refuses to start without ADMIN_TOKEN, not {token}"
        );
    }
}

#[test]
fn each_service_logs_in_to_postgres_as_the_role_owning_its_database() {
    let init = read("docker/postgres/init.sql");
    let mut roles = Vec::new();
    for (service, _, _) in services() {
        let url = environment(service)["DATABASE_URL"]
            .as_str()
            .unwrap()
            .to_owned();
        let database = url.rsplit('/').next().unwrap().to_owned();
        let role = url
            .trim_start_matches("postgres://")
            .split(':')
            .next()
            .unwrap()
            .to_owned();
        assert_ne!(
            role, "postgres",
            "{service} must not log in as the superuser"
        );
        assert!(
            init.contains(&format!("CREATE ROLE {role} LOGIN")),
            "{service}: role {role}"
        );
        assert!(
            init.contains(&format!("CREATE DATABASE {database} OWNER {role};")),
            "{service}: {database} owned by {role}"
        );
        assert!(
            init.contains(&format!("REVOKE ALL ON DATABASE {database} FROM PUBLIC;")),
            "{service}: only {role} connects to {database}"
        );
        roles.push(role);
    }
    roles.dedup();
    assert_eq!(roles.len(), 2, "one role per service");
}

#[test]
fn ports_agree_between_code_compose_and_dockerfiles() {
    for (service, _, port) in services() {
        let env = environment(service);
        assert_eq!(env["PORT"], port.to_string(), "{service}: PORT");
        let ports: Vec<_> = compose()["services"][service]["ports"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            ports,
            [Value::String(format!("{port}:{port}"))],
            "{service}: published port"
        );
        let dockerfile = read(&format!("docker/{service}.Dockerfile"));
        assert!(
            dockerfile.contains(&format!("EXPOSE {port}")),
            "{service}: EXPOSE"
        );
        assert!(
            dockerfile.contains(&format!("ENV PORT={port}")),
            "{service}: ENV PORT"
        );
        assert!(
            dockerfile.contains(&format!(
                "CMD [\"/usr/local/bin/{service}\", \"healthcheck\"]"
            )),
            "{service}: HEALTHCHECK runs the binary's subcommand"
        );
    }
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
fn without_variables_both_services_fit_a_developer_machine() {
    figment::Jail::expect_with(|jail| {
        jail.clear_env();
        let line_provider = line_provider::Settings::from_env().unwrap();
        let bet_maker = bet_maker::Settings::from_env().unwrap();
        for (settings, database, port) in [
            (&line_provider.service, "line_provider", 8080),
            (&bet_maker.service, "bet_maker", 8081),
        ] {
            assert_eq!(settings.port, port);
            assert_eq!(
                settings.database_url,
                format!("postgres://postgres@127.0.0.1:5432/{database}")
            );
            assert_eq!(settings.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        }
        assert!(line_provider.service.admin_token.is_none());
        assert_eq!(line_provider.service.topology, Topology::default());
        assert_eq!(bet_maker.service.topology, Topology::default());
        Ok(())
    });
}
