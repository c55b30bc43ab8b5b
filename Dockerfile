# syntax=docker/dockerfile:1
# pmcollect as a container image (the systemd unit is the production path; this one is for
# `docker compose --profile container` and for hosts that prefer containers).
#
#   docker build -t pmcollect .        # from the repository root
#
# .dockerignore keeps data/, dist/ and node_modules/ out of the context. The other deployment
# files (compose, systemd unit, install script) are in deploy/; see docs/deploy.md.

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so code changes reuse this layer.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
# The image has no git: pass the commit for `pmcollect --version`, e.g.
#   docker build --build-arg PMCOLLECT_BUILD_COMMIT=$(git rev-parse --short=12 HEAD) ...
ARG PMCOLLECT_BUILD_COMMIT=unknown
RUN PMCOLLECT_BUILD_COMMIT="$PMCOLLECT_BUILD_COMMIT" deno task compile

FROM debian:bookworm-slim AS runtime
# curl for HEALTHCHECK only; ca-certificates for TLS to Polymarket; libsecp256k1-1 (optional)
# signs orders natively, opened through FFI (docs/execution.md, "Native signing").
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl tini libsecp256k1-1 \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --system pmcollect \
  && useradd --system --gid pmcollect --home-dir /var/lib/pmcollect --shell /usr/sbin/nologin pmcollect \
  && install -d -o pmcollect -g pmcollect -m 0700 /var/lib/pmcollect
COPY --from=build --chmod=0755 /src/dist/pmcollect /opt/pmcollect/pmcollect
USER pmcollect:pmcollect
WORKDIR /var/lib/pmcollect
ENV PMCOLLECT_DATA_DIR=/var/lib/pmcollect \
    PMCOLLECT_HEALTH_PORT=9464
# The app binds /healthz to 127.0.0.1 inside the container; the check runs inside it too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PMCOLLECT_HEALTH_PORT}/healthz" > /dev/null || exit 1
STOPSIGNAL SIGTERM
# tini forwards SIGTERM and reaps; the app drains within PMCOLLECT_SHUTDOWN_DEADLINE_S.
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/pmcollect/pmcollect"]
CMD ["run"]
