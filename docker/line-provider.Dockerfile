# syntax=docker/dockerfile:1
# line-provider: a multi-stage build of the workspace.
#
# Dependencies are compiled in a layer of their own (cargo-chef), rebuilt only when
# Cargo.toml/Cargo.lock change. The runtime image is distroless/cc (Debian 12): glibc and
# libgcc, which is all a Rust binary built on Debian bookworm links against, no shell and no
# package manager, and its non-root user (uid 65532, "nonroot"). The HEALTHCHECK runs the binary's own `healthcheck`
# subcommand (GET /health/ready on localhost), so no curl is needed in the image.

FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --package line-provider
COPY . .
RUN cargo build --release --locked --package line-provider

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/line-provider /usr/local/bin/line-provider
ENV PORT=8080 LOG_FORMAT=json
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/line-provider", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/line-provider"]
