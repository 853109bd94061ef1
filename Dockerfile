# Image of the `pypi-publish` container action (see action.yml, docs/action.md).
#
# Stage 1 builds a fully static binary with the official Rust image on Alpine,
# whose host target already is `<arch>-unknown-linux-musl` (musl links
# statically by default), so no `rustup target add` and no extra packages:
# the image ships gcc and musl-dev, which is all aws-lc-sys needs for its
# cc-based build on x86_64/aarch64 musl (pre-generated bindings, no cmake,
# no clang). Stage 2 is `scratch`: the binary, the CA bundle, an empty /tmp.
#
# Keep the Rust version in step with the toolchain the project is tested
# with; `rust-version` in Cargo.toml is the floor.
FROM rust:1.95-alpine3.23 AS builder

ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    CARGO_NET_RETRY=10

WORKDIR /src

# Dependency layer: build every dependency against stub sources, so that this
# layer is reused for as long as the manifests and the lockfile do not change.
# The workspace's other member (the test index) only needs to exist as a
# manifest with a stub target: it is never built here.
COPY Cargo.toml Cargo.lock ./
COPY tests/test-index/Cargo.toml tests/test-index/Cargo.toml
RUN mkdir -p src tests/test-index/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > tests/test-index/src/main.rs \
    && cargo build --release --locked \
        --target "$(uname -m)-unknown-linux-musl" --bin pypi-publish \
    && rm -rf src

# The real sources. COPY keeps the files' own mtimes, which can be older than
# the stub build: touch them so cargo rebuilds the crate itself.
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
        --target "$(uname -m)-unknown-linux-musl" --bin pypi-publish \
    && mkdir -p /out/tmp \
    && chmod 1777 /out/tmp \
    && cp "target/$(uname -m)-unknown-linux-musl/release/pypi-publish" /out/pypi-publish \
    && /out/pypi-publish --version


FROM scratch

LABEL org.opencontainers.image.title="rust-pypi-publish" \
      org.opencontainers.image.description="Publish Python distributions to PyPI: a container GitHub Action and CLI" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"

COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/tmp /tmp
COPY --from=builder /out/pypi-publish /pypi-publish

ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp

# The runner mounts the workspace here and passes `--workdir` to match.
WORKDIR /github/workspace
ENTRYPOINT ["/pypi-publish"]
