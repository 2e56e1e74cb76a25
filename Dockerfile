# ScanHub image: one image for every role (`serve --role api|worker|all`), run as a non-root user.
#
#   docker build -t scanhub .                              # without Chromium: PDF reports answer 503
#   docker build -t scanhub --build-arg WITH_CHROMIUM=true .  # + Debian's chromium for PDF reports
#   docker run --rm scanhub secrets generate-key           # any CLI command: the entrypoint is the CLI
#
# No secret is baked in: DATABASE_URL, SCANHUB_SECRET_KEY(_FILE) and SCANHUB_ADMIN_TOKEN come from the
# environment at run time. Without DATABASE_URL the image runs the embedded PGlite in
# /var/lib/scanhub (mount a volume there); with it, any number of containers share PostgreSQL.
# Written for the classic builder too (no RUN --mount), so docker-compose 1.29 builds it.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, in their own layer, rebuilt only when the lockfile changes. Scripts are off
# here because `prepare` (the build) needs the sources; no runtime dependency has an install script
# (test/contract/deploy.test.ts checks the lockfile for that).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY integrations ./integrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 reaps Chromium's children and forwards SIGTERM, so graceful shutdown (drain, finish
# or release jobs, close the pool) runs on `docker stop` and on Kubernetes pod deletion.
ARG WITH_CHROMIUM=false
RUN set -eu; \
    case "$WITH_CHROMIUM" in \
      true) extra="chromium fonts-liberation" ;; \
      false) extra="" ;; \
      *) echo "WITH_CHROMIUM must be true or false, got '$WITH_CHROMIUM'" >&2; exit 2 ;; \
    esac; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini $extra; \
    rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SCANHUB_DATA_DIR=/var/lib/scanhub
WORKDIR /app
# Application files stay owned by root and read-only to the service user.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY templates ./templates
# The demo project seeded on a first embedded (PGlite) start; never with PostgreSQL unless SCANHUB_DEMO.
COPY test/apps/demo-reports ./test/apps/demo-reports
# uid 1000 is the `node` user of the base image; numeric so Kubernetes can verify runAsNonRoot.
RUN mkdir -p /var/lib/scanhub && chown 1000:1000 /var/lib/scanhub
USER 1000:1000

EXPOSE 8080
# /readyz: database reachable and not draining. Plain HTTP on loopback: with SCANHUB_TLS_CERT set,
# override the health check (or terminate TLS in front, as the compose file and Kubernetes do).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/bin.js"]
CMD ["serve"]
