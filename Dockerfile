# Tasse: the scheduler for scripts in a folder, as a container.
#
#   docker compose up                     (see docker-compose.yml and README.md, "Docker")
#   docker build -t tasse .
#   docker run -v "$PWD/data:/data" -p 127.0.0.1:5000:5000 tasse
#
# Build arguments:
#   BASE_IMAGE  a Node.js 20+ image on Debian bookworm, laid out as the official one
#               (node, npm and Node's C headers under the same prefix)
#   TASSE_UID / TASSE_GID  the user the service runs as; make them the owner of your ./data
#               (`id -u`, `id -g`) so the container can write logs/ and venv/ there
ARG BASE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# manifests: only the workspace's package.json files, so the `npm ci` layer below is rebuilt
# when dependencies change, not on every source edit (and a new package needs no Dockerfile edit).
FROM ${BASE_IMAGE} AS manifests
WORKDIR /src
COPY packages packages
RUN find packages -mindepth 1 -maxdepth 1 ! -type d -exec rm -rf {} + \
 && find packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# ---------------------------------------------------------------------------------------------
# build: every dependency, the TypeScript build, then the dev dependencies pruned away.
FROM ${BASE_IMAGE} AS build
# better-sqlite3 is a native module: when its prebuilt binary cannot be downloaded it is
# compiled by node-gyp, which needs Python, make, a C++ compiler and Node's headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=manifests /src/packages packages
# Build native modules against the headers of the Node.js in this image (include/node next to
# its bin/), rather than downloading them, on every CPU (JOBS: node-gyp's make -j; compiling
# SQLite takes minutes on one).
RUN npm_config_nodedir="$(node -p 'require("path").resolve(process.execPath, "../..")')" \
    JOBS=max npm ci
COPY tsconfig.json tsconfig.base.json ./
COPY packages packages
# --omit=optional too: test tools that a package names as an optional peer (vitest, for
# @tasse/core/testing) would otherwise stay, with their bundlers (~40 MB). No production
# dependency here has optional dependencies of its own.
RUN npm run build \
 && npm prune --omit=dev --omit=optional \
 && find node_modules -path '*/build/Release/obj*' -prune -exec rm -rf {} + \
 && find packages -name '*.tsbuildinfo' -delete

# ---------------------------------------------------------------------------------------------
# run: Node.js, Python 3 with venv and Poetry (from Debian: no Python package index needed to
# install them), tini, the built workspace with production dependencies only.
FROM ${BASE_IMAGE} AS run
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates python3 python3-venv python3-poetry tini \
 && rm -rf /var/lib/apt/lists/* /root/.cache

ARG TASSE_UID=1000
ARG TASSE_GID=1000
# The official Node images already have a `node` user with uid 1000: it makes way for `tasse`.
RUN (userdel --remove node 2>/dev/null; groupdel node 2>/dev/null; true) \
 && groupadd --gid "$TASSE_GID" tasse \
 && useradd --uid "$TASSE_UID" --gid "$TASSE_GID" --home-dir /home/tasse --create-home \
      --shell /bin/sh tasse

WORKDIR /app
COPY --from=build /app ./
RUN ln -s /app/packages/host/dist/cli.js /usr/local/bin/tasse && chmod 0755 /app/packages/host/dist/cli.js

# The data directory (tasks/, logs/, venv/, .tasse/): mount yours here. An empty volume starts
# with the example tasks.
COPY --chown=${TASSE_UID}:${TASSE_GID} data/tasks /data/tasks
RUN chown "$TASSE_UID:$TASSE_GID" /data
VOLUME ["/data"]

ENV NODE_ENV=production \
    TASSE_DATA=/data \
    TASSE_HOST=0.0.0.0 \
    TASSE_PORT=5000 \
    HOME=/home/tasse \
    PYTHONUNBUFFERED=1
EXPOSE 5000
USER tasse

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TASSE_PORT||5000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# tini as PID 1: it forwards SIGTERM to the host (which lets running tasks finish within
# TASSE_SHUTDOWN_GRACE seconds, then exits 0) and reaps the orphaned grandchildren of tasks.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--"]
CMD ["tasse", "serve"]
