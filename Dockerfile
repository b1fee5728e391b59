# The meridian image: one program, two roles (`meridian operator` in the hub, `meridian agent` in
# each member cluster). Built from the same package-lock.json the tests use.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# A bounded heap makes V8 collect before the pod's memory limit, instead of growing towards the
# host's size (the default limit scales with the machine, not the container).
ENV NODE_OPTIONS=--max-old-space-size=192
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER node
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
