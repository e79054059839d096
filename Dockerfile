# syntax=docker/dockerfile:1
# One image for the quote API; its commands are `serve` (default), `migrate` and `seed`:
#   docker run quote-api:TAG            -> node build/app/main.js serve
#   docker run quote-api:TAG migrate    -> node build/app/main.js migrate
# and, as a separate target, the worker of `qctl load --in-cluster` (the API image carries no load generator):
#   docker build --target load -t quote-api-load:TAG .
# The code supports Node >= 20; the image runs the current LTS (22).
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Build: one `npm ci` from the lock file (cached until package*.json change), then
#    `npm run bundle`: app/main.ts and its runtime dependencies in one file, with the SQL
#    migrations and page files, in build/image (see scripts/bundle-app.mjs).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY app ./app
COPY scripts ./scripts
RUN npm run bundle

# 1b. The load worker's bundle (scripts/bundle-load.mjs): bin/load and what it imports, nothing of the API.
FROM build AS load-build
COPY bin/load ./bin/load
COPY bin/cli ./bin/cli
COPY infra/load-worker.ts infra/errors.ts ./infra/
RUN npm run bundle:load

# 1c. `load`: the in-cluster load worker (node build/load/worker.js), the same base and user as the
#    API. Built only when asked for (--target load); the default target is the last stage, the API image.
FROM ${NODE_IMAGE} AS load
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=load-build /app/build/load-image ./
USER 1000:1000
ENTRYPOINT ["node", "build/load/worker.js"]

# 2. Runtime: the bundle only (no node_modules, no CLI, no source maps), root-owned and
#    read-only friendly; runs as the unprivileged `node` user (uid 1000). Nothing is written
#    outside /tmp, so `readOnlyRootFilesystem: true` with an emptyDir on /tmp works.
#    HOST defaults to `::` (IPv4 and IPv6); set HOST to narrow it.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=build /app/build/image ./
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "build/app/main.js"]
CMD ["serve"]

