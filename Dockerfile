# syntax=docker/dockerfile:1
# One image for the quote API; its commands are `serve` (default), `migrate` and `seed`:
#   docker run quote-api:TAG            -> node build/app/main.js serve
#   docker run quote-api:TAG migrate    -> node build/app/main.js migrate
# The code supports Node >= 20; the image runs the current LTS (22).
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. All dependencies, from the lock file only (cached until package*.json change).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# 2. Compile TypeScript (npm run build -> build/, with the SQL and page files tsc does not emit).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY infra ./infra
COPY bin ./bin
COPY scripts ./scripts
RUN npm run build

# 3. Production dependencies only.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 4. Runtime: root-owned, read-only friendly files; runs as the unprivileged `node` user (uid 1000).
#    Nothing is written outside /tmp, so `readOnlyRootFilesystem: true` with an emptyDir on /tmp works.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY package.json ./
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "build/app/main.js"]
CMD ["serve"]
