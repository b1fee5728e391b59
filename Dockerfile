# The meridian image: one program, two roles (`meridian operator` in the hub, `meridian agent` in
# each member cluster). Built from the same package-lock.json the tests use. CI builds this very
# file against a stand-in base image (hack/image/); release images need the real one (README).

# Production dependencies only, without what only a compiler or a person reads: type declarations
# (@kubernetes/client-node alone ships ~30 MB of them), source maps and Markdown. Licences stay.
# Its own stage, so it is rebuilt only when the lock file changes, not with every source change.
FROM node:24-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
      -o -name '*.map' -o -iname '*.md' \) -delete

# TypeScript to JavaScript (tsconfig.build.json); needs the dev dependencies, which stay here.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# A bounded heap makes V8 collect before the pod's memory limit, instead of growing towards the
# host's size (the default limit scales with the machine, not the container).
ENV NODE_OPTIONS=--max-old-space-size=192
# A named user for the uid the chart runs as, so tools that look the uid up find a name; USER is
# numeric so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
RUN groupadd --gid 10001 meridian \
 && useradd --no-log-init --uid 10001 --gid meridian --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin meridian
# Owned by root and read-only for the process: it cannot change its own code.
COPY package.json ./
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 10001:10001
# /healthz, /readyz and /metrics of both roles; the agent's peer promise endpoint.
EXPOSE 8080 8081
# Node is PID 1 and receives SIGTERM itself (exec form, no shell in between): both roles handle
# SIGTERM and SIGINT (hand the Lease back, then exit 0), and neither starts child processes, so
# there are no zombies to reap and no init process (tini) is needed. A PID 1 without a handler
# would ignore SIGTERM; the image test checks that `podman stop` ends the operator cleanly.
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
