//! What the harness needs of this machine: RabbitMQ's own scripts and Erlang, free ports, and
//! a file only its owner reads.

use std::ffi::OsStr;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The folder of RabbitMQ's own scripts (`rabbitmq-server`, `rabbitmqctl`, ... next to
/// `rabbitmq-env`): `TEST_RABBITMQ_SCRIPTS` if set, Debian's `/usr/lib/rabbitmq/bin`, or where
/// a `rabbitmq-server` on `PATH` really is. Panics when there is none, or no `erl`.
pub(super) fn scripts_dir() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_scripts(
        std::env::var_os("TEST_RABBITMQ_SCRIPTS").map(PathBuf::from),
        &[PathBuf::from("/usr/lib/rabbitmq/bin")],
        &path,
    )
}

fn find_scripts(chosen: Option<PathBuf>, known: &[PathBuf], path: &OsStr) -> PathBuf {
    let is_scripts =
        |dir: &Path| dir.join("rabbitmq-server").is_file() && dir.join("rabbitmq-env").is_file();
    let dir = if let Some(dir) = chosen {
        assert!(
            is_scripts(&dir),
            "TEST_RABBITMQ_SCRIPTS={} holds no rabbitmq-server and rabbitmq-env",
            dir.display()
        );
        dir
    } else {
        known
            .iter()
            .cloned()
            .chain(
                std::env::split_paths(path)
                    .filter_map(|dir| fs::canonicalize(dir.join("rabbitmq-server")).ok())
                    .filter_map(|script| script.parent().map(Path::to_path_buf)),
            )
            .find(|dir| is_scripts(dir))
            .unwrap_or_else(|| {
                panic!(
                    "rabbitmq-server is missing: the cluster tests start RabbitMQ nodes of \
                     their own (Debian: apt-get install rabbitmq-server; or set \
                     TEST_RABBITMQ_SCRIPTS to the folder of rabbitmq-server and rabbitmq-env)"
                )
            })
    };
    assert!(
        std::env::split_paths(path).any(|dir| dir.join("erl").is_file()),
        "erl (Erlang) is not on PATH: rabbitmq-server needs it"
    );
    dir
}

/// `count` distinct free ports of 127.0.0.1, below the ephemeral range (where no outgoing
/// connection takes them while a node is down).
pub(super) fn free_ports(count: usize) -> Vec<u16> {
    let ephemeral_low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = if ephemeral_low > 12_000 {
        (10_000, ephemeral_low)
    } else {
        (ephemeral_low, u16::MAX)
    };
    let mut held = Vec::new();
    let mut attempts = 0;
    while held.len() < count {
        attempts += 1;
        assert!(attempts < 10_000, "no free ports in {low}..{high}");
        let random = uuid::Uuid::new_v4().as_u128();
        let port = low + (random % u128::from(high - low)) as u16;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    held.iter()
        .map(|l| l.local_addr().expect("a bound port").port())
        .collect()
}

/// Writes `contents` to `path`, readable by its owner only (as Erlang wants its cookie).
pub(super) fn write_private(path: &Path, contents: &str) {
    fs::write(path, contents).expect("the cookie file");
    fs::set_permissions(path, fs::Permissions::from_mode(0o400)).expect("the cookie's mode");
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::PathBuf;

    use super::find_scripts;

    #[test]
    #[should_panic(expected = "rabbitmq-server is missing")]
    fn a_machine_without_rabbitmq_fails_loudly() {
        find_scripts(
            None,
            &[PathBuf::from("/nonexistent")],
            OsStr::new("/nonexistent"),
        );
    }

    #[test]
    #[should_panic(expected = "holds no rabbitmq-server")]
    fn a_chosen_folder_without_the_scripts_fails_loudly() {
        find_scripts(Some(PathBuf::from("/nonexistent")), &[], OsStr::new(""));
    }
}
