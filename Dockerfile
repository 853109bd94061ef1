# Image of the `pypi-publish` container action (see action.yml, docs/action.md).
#
# One runtime stage, two ways to fill it:
#
#   release (the default: `docker build .`, the release workflow, `image: Dockerfile`)
#       `builder` compiles a fully static binary on the official Rust image on
#       Alpine, whose host target already is `<arch>-unknown-linux-musl` (musl
#       links statically by default), so no `rustup target add` and no extra
#       packages: the image ships gcc and musl-dev, which is all aws-lc-sys needs
#       for its cc-based build on x86_64/aarch64 musl (pre-generated bindings, no
#       cmake, no clang). `release-files` takes the binary and the builder's CA
#       bundle from it.
#   local (`scripts/image`, the container test, machines with no registry)
#       `--build-arg FILES=local-files` with a build context holding only
#       `rootfs/`: a static musl `pypi-publish` built on the host, the host's
#       CA bundle and an empty /tmp; nothing is pulled.
#
# Either way the last stage, `runtime`, is what ships: `FROM scratch`, the
# files stage copied in whole (the binary, the CA bundle, an empty /tmp), the
# environment, the working directory and the entrypoint. tests/it/container.rs
# checks that both paths end in this one stage and that the image it runs
# carries exactly its settings.
#
# Keep the Rust version in step with the toolchain the project is tested
# with; `rust-version` in Cargo.toml is the floor.

# Which stage fills the runtime stage: release-files or local-files.
ARG FILES=release-files

FROM rust:1.95-alpine3.23 AS builder

ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    CARGO_NET_RETRY=10

WORKDIR /src

# Dependency layer: build every dependency against stub sources, so that this
# layer is reused for as long as the manifests and the lockfile do not change.
# The workspace's other members (the test index, the latency proxy) only need
# to exist as manifests with a stub target: they are never built here.
COPY Cargo.toml Cargo.lock ./
COPY tests/test-index/Cargo.toml tests/test-index/Cargo.toml
COPY bench/latency-proxy/Cargo.toml bench/latency-proxy/Cargo.toml
RUN mkdir -p src tests/test-index/src bench/latency-proxy/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > tests/test-index/src/main.rs \
    && echo 'fn main() {}' > bench/latency-proxy/src/main.rs \
    && cargo build --release --locked \
        --target "$(uname -m)-unknown-linux-musl" --bin pypi-publish \
    && rm -rf src

# The real sources. COPY keeps the files' own mtimes, which can be older than
# the stub build: touch them so cargo rebuilds the crate itself.
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
        --target "$(uname -m)-unknown-linux-musl" --bin pypi-publish \
    && mkdir -p /out/tmp /out/etc/ssl/certs \
    && chmod 1777 /out/tmp \
    && cp "target/$(uname -m)-unknown-linux-musl/release/pypi-publish" /out/pypi-publish \
    && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt \
    && /out/pypi-publish --version


# The runtime stage's files, from the builder (release).
FROM scratch AS release-files
COPY --from=builder /out/ /


# The runtime stage's files, from the build context (local): scripts/image
# lays out `rootfs/` exactly as `/out` above (`pypi-publish`, the host's
# `etc/ssl/certs/ca-certificates.crt`, an empty `tmp` with mode 1777).
FROM scratch AS local-files
COPY rootfs/ /


# hadolint ignore=DL3006
FROM ${FILES} AS files


# What ships. Keep it the last stage: `docker build` without `--target` (the
# runner's `image: Dockerfile`) builds the last stage.
FROM scratch AS runtime

LABEL org.opencontainers.image.title="rust-pypi-publish" \
      org.opencontainers.image.description="Publish Python distributions to PyPI: a container GitHub Action and CLI" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"

# The whole of the files stage, on purpose (hadolint's DL3067 guards against
# copying a distribution's filesystem): it is a scratch stage holding exactly
# the binary, the CA bundle and /tmp, whichever path filled it.
# hadolint ignore=DL3067
COPY --from=files / /

ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp

# The runner mounts the workspace here and passes `--workdir` to match.
WORKDIR /github/workspace
ENTRYPOINT ["/pypi-publish"]
