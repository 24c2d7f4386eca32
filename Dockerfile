# Pharos container image: one image for every role.
#
#   docker build -t pharos .
#   docker run -p 8080:8080 -v pharos-data:/data pharos            # serve (SQLite in /data)
#   docker run ... pharos web | worker | migrate                     # the other roles
#
# Stages: `build` compiles the `dist` profile with cargo; the final stage
# is Debian slim with the binary, a non-root user and /data. CI, which
# cannot pull a rust image, builds the binary on the host and passes
# `--build-arg PHAROS_BINARY_FROM=prebuilt` with a build context that holds
# only that binary; the `build` stage is then never used.
# docs/DEPLOYMENT.md explains the runtime settings.

ARG PHAROS_BINARY_FROM=build

FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --profile dist -p pharos \
 && install -D -m 0755 target/dist/pharos /out/pharos

# CI only: the context is a directory holding a `pharos` binary built on
# the host (glibc of bookworm or older).
FROM scratch AS prebuilt
COPY pharos /out/pharos

FROM ${PHAROS_BINARY_FROM} AS binary

FROM docker.io/library/debian:bookworm-slim

# A fixed, numeric, non-root user, so Kubernetes' runAsNonRoot can verify
# it and volumes can be prepared for it (chown 10001:10001).
RUN groupadd --system --gid 10001 pharos \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin pharos \
 && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=binary /out/pharos /usr/local/bin/pharos

# Everything Pharos writes goes to /data (the SQLite file and its WAL, the
# development secret key), so the root filesystem can be read-only.
# PostgreSQL deployments set PHAROS_DATABASE_URL to a postgres:// URL.
# NO_COLOR: plain log lines for `docker logs` and log collectors (PHAROS_LOG_JSON=true
# for JSON).
ENV PHAROS_DATA_DIR=/data \
    PHAROS_DATABASE_URL=sqlite:///data/pharos.db \
    PHAROS_LISTEN=0.0.0.0:8080 \
    HOME=/data \
    NO_COLOR=1
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080

# No curl in the image: Pharos's own `check` command is the probe (exit 0
# when the answer is 200). It must be allowed to reach loopback; that flag
# applies to this one command only, not to the server's targets. Worker-only
# containers have no web port: their orchestrator files replace this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["pharos", "check", "--allow-private-targets=true", "--timeout", "3", "--expect-status", "200", "http://127.0.0.1:8080/healthz"]

ENTRYPOINT ["pharos"]
CMD ["serve"]
