# syntax=docker/dockerfile:1
# The Shadowguard control plane image:  docker build -t shadowguard/control-plane:0.1.0 .
# (deploy/kubernetes/base and envoy/istio/control-plane.yaml run this tag.)
# Three stages: build (wasm, dashboard, JavaScript via `npm run build`), runtime dependencies only,
# and a slim runtime that runs the built code with plain node as a non-root user. The root file
# system can be read-only: the only writes go to the SQLite directory /var/lib/shadowguard (a volume).
# Validated by test/deploy/dockerfile.test.ts (stages, USER, HEALTHCHECK, every COPY source exists).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY asconfig.json tsconfig.json tsconfig.build.json ./
COPY filter ./filter
COPY control-plane ./control-plane
COPY cli ./cli
COPY schema ./schema
COPY proto ./proto
COPY scripts ./scripts
RUN npm run build:wasm && npm run build:ui && npm run build:js

FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (better-sqlite3 installs its prebuilt binary for this platform).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SHADOWGUARD_HOST=0.0.0.0 \
    SHADOWGUARD_HTTP_PORT=8080 \
    SHADOWGUARD_GRPC_PORT=18000 \
    SHADOWGUARD_DATA_DIR=/var/lib/shadowguard
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./
# The filter module too, for operators who serve it from the same image (package:oci makes the OCI artifact).
COPY --from=build /src/build/shadowguard.wasm ./wasm/shadowguard.wasm
RUN mkdir -p /var/lib/shadowguard && chown 65532:65532 /var/lib/shadowguard
# An unprivileged numeric user (Kubernetes' runAsNonRoot can verify a number, not a name).
USER 65532:65532
VOLUME ["/var/lib/shadowguard"]
EXPOSE 8080 18000
# /readyz: the store answers and the filters' gRPC server listens (the same check as the Kubernetes readiness probe).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SHADOWGUARD_HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/shadow-control-plane.js"]
