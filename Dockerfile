# syntax=docker/dockerfile:1
# Herald image: `docker build -t herald .`; the entrypoint is the herald CLI
# (`serve [--role api|worker|all]`, `migrate`, `keys ...`). See docker-compose.yml.

FROM node:20-bookworm-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY workers ./workers
COPY migrations ./migrations
COPY console ./console
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code stays root-owned (read-only for the app); only var/ is writable.
COPY --from=builder /app/package.json ./package.json
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
RUN mkdir -p var/outbox && chown -R node:node var
USER node
EXPOSE 8002 9102
# The slim image has no curl; Node 20 has fetch. The worker's compose service checks WORKER_HTTP_PORT instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8002) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8 options: services/platform/node-flags.ts.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "dist/services/main.js"]
CMD ["serve"]
