//! Rebuilds the binary when a migration is added or changed: they are embedded at compile time
//! (refinery's `embed_migrations!`), which cargo does not track by itself.

// Cargo reads its instructions from a build script's standard output.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo::rerun-if-changed=../migrations/bet-maker");
}
