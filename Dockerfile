# Tasse: the scheduler for scripts in a folder, as a container.
#
#   docker compose up                     (see docker-compose.yml and README.md, "Docker")
#   docker build -t tasse .
#   docker run -v "$PWD/data:/data" -p 127.0.0.1:5000:5000 tasse
#
# The service runs as root; its tasks as the owner of the mounted /data, or as PUID/PGID given
# at run time (docker/tasse, the image's `tasse` command), never as root unless PUID=0 says so.
#
# BASE_IMAGE: a Node.js image on Debian bookworm, laid out as the official one (node, npm and
# Node's C headers under the same prefix). The default follows a maintained Node.js LTS, 24,
# pinned by digest so that a build is repeatable: node:24-bookworm-slim as published with
# Node.js 24.18.0. To move to a newer one: `docker pull node:24-bookworm-slim`, then
# `docker inspect --format '{{index .RepoDigests 0}}' node:24-bookworm-slim`, and pass it as
# `--build-arg BASE_IMAGE=node:24-bookworm-slim@sha256:…` (or change it here). Node.js 20 or
# later works (the test of this image builds on a local bookworm with Node.js 20).
ARG BASE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---------------------------------------------------------------------------------------------
# manifests: only the workspace's package.json files, so the `npm ci` layer below is rebuilt
# when dependencies change, not on every source edit (and a new package needs no Dockerfile edit).
# Also what a package's install script builds from: @tasse/core's posix_spawn addon (binding.gyp,
# native/). Without them its install script finds nothing to build and the image's host starts
# every run through child_process, a fork() of the whole host.
FROM ${BASE_IMAGE} AS manifests
WORKDIR /src
COPY packages packages
RUN find packages -mindepth 1 -maxdepth 1 ! -type d -exec rm -rf {} + \
 && find packages -mindepth 2 -maxdepth 2 ! -name package.json ! -name binding.gyp ! -name native \
      -exec rm -rf {} +

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
# SQLite takes minutes on one). npm's download cache is a BuildKit cache mount: kept between
# builds on the build machine, never in the image.
RUN --mount=type=cache,id=tasse-npm,target=/root/.npm,sharing=locked \
    npm_config_nodedir="$(node -p 'require("path").resolve(process.execPath, "../..")')" \
    JOBS=max npm ci
COPY tsconfig.json tsconfig.base.json ./
COPY scripts scripts
COPY packages packages
# --omit=optional too: test tools that a package names as an optional peer (vitest, for
# @tasse/core/testing) would otherwise stay, with their bundlers (~40 MB). No production
# dependency here has optional dependencies of its own. Then what only tests and the build
# use goes: TypeScript sources, core's contract suites (@tasse/core/testing), build leftovers.
RUN npm run build \
 && npm prune --omit=dev --omit=optional \
 && find node_modules packages -path '*/build/Release/obj*' -prune -exec rm -rf {} + \
 && find packages -name '*.tsbuildinfo' -delete \
 && find packages -mindepth 2 -maxdepth 2 \( -name src -o -name test -o -name bench \) -exec rm -rf {} + \
 && rm -rf packages/core/dist/testing packages/core/bundle/testing.js* scripts tsconfig.json tsconfig.base.json \
 && find node_modules/swagger-ui-dist -mindepth 1 -maxdepth 1 \
      ! -name package.json ! -name swagger-ui-bundle.js ! -name swagger-ui.css \
      ! -name favicon-32x32.png ! -name LICENSE ! -name NOTICE ! -name '*.LICENSE.txt' \
      -exec rm -rf {} +

# ---------------------------------------------------------------------------------------------
# run: Node.js, Python 3 with venv and Poetry (from Debian: no Python package index needed to
# install them), tini, the built workspace with production dependencies only.
FROM ${BASE_IMAGE} AS run
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Tasse" \
      org.opencontainers.image.description="Runs the scripts in a folder on their schedules, and on request over HTTP" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates python3 python3-venv python3-poetry tini \
 && rm -rf /var/lib/apt/lists/* /root/.cache

# The user an empty volume belongs to (the official Node images' `node` user, uid 1000, makes
# way for it). Tasks run as the owner of /data, whoever that is, the service as root: see docker/tasse.
RUN (userdel --remove node 2>/dev/null; groupdel node 2>/dev/null; true) \
 && groupadd --gid 1000 tasse \
 && useradd --uid 1000 --gid 1000 --home-dir /home/tasse --create-home --shell /bin/sh tasse

WORKDIR /app
COPY --from=build /app ./
COPY --chmod=0755 docker/tasse /usr/local/bin/tasse
RUN ln -s tasse /usr/local/bin/tasse-init

# The data directory (tasks/, logs/, venv/, .tasse/): mount yours here. An empty volume starts
# with the example tasks.
COPY --chown=1000:1000 data/tasks /data/tasks
RUN chown 1000:1000 /data
VOLUME ["/data"]

ENV NODE_ENV=production \
    TASSE_DATA=/data \
    TASSE_HOST=0.0.0.0 \
    TASSE_PORT=5000 \
    HOME=/home/tasse \
    PYTHONUNBUFFERED=1
EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TASSE_PORT||5000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# tasse-init runs tini as PID 1 and the host as root, its tasks as the owner of /data (or
# PUID/PGID, TASSE_TASK_USER): tini forwards SIGTERM to the host (which lets running tasks finish within TASSE_SHUTDOWN_GRACE
# seconds, then exits 0) and reaps the orphaned grandchildren of tasks.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tasse-init"]
CMD ["tasse", "serve"]
