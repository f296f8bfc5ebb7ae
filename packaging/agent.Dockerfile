# The Berth agent: one per Docker host, dials out to the controller and drives the local Docker Engine.
# Run it with the Docker socket mounted and its group added (the image runs as user 65532):
#   docker run -d --name berth-agent --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /etc/berth/token:/etc/berth/token:ro -e BERTH_TOKEN_FILE=/etc/berth/token \
#     -e BERTH_URL=wss://berth.example.com berth-agent:VERSION
#
# Build from the repository root after `npm run build` (which writes the agent bundle,
# dist/agent-bundle/berth-agent.mjs; see packaging/README.md):
#   DOCKER_BUILDKIT=0 docker build -f packaging/agent.Dockerfile --build-arg BASE_IMAGE=node:20-slim -t berth-agent .
# The image holds Node and ONE file: the agent bundle (the agent and the JavaScript it runs: ws,
# dockerode, its own JSON-lines logger; validators generated at build time). No node_modules, so no install scripts and
# nothing of the controller (Kubernetes client, express). BASE_IMAGE is any image with `node`
# (>= 20.19) on its PATH; the default is the test bed's locally imported one (test/env/README.md,
# "docker"), since no image can be pulled there.
ARG BASE_IMAGE=berth-base/node:latest

# Stage 1: prove the bundle loads on this base (exec form: the base needs no shell).
FROM ${BASE_IMAGE} AS app
WORKDIR /app
COPY dist/agent-bundle/berth-agent.mjs dist/agent-bundle/berth-agent.licenses.txt ./
RUN ["node", "/app/berth-agent.mjs", "--help"]

# Stage 2: just the bundle, owned by root and read-only to the non-root user.
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="berth-agent" \
      org.opencontainers.image.source="https://github.com/berth-dev/berth" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=app /app/berth-agent.mjs /app/berth-agent.licenses.txt ./
ENV NODE_ENV=production
# glibc's allocator, tuned for one small long-running process: one malloc arena (not one per thread
# that allocates), no padding on heap growth and freed memory at the heap's top handed back at once.
# Idle 49.7 vs 50.2 MB, after a 1M-line log burst 52.1 vs 54.2 MB, the same CPU per log line
# (bench/agent-footprint, docs/performance.md). Ignored by a non-glibc base.
ENV MALLOC_ARENA_MAX=1 MALLOC_TOP_PAD_=0 MALLOC_TRIM_THRESHOLD_=0
USER 65532:65532
# A 1 MB young-generation semi-space (V8's default grows to 16 MB): a burst of log lines then leaves
# the agent at ~72 MB instead of ~98 MB, at the same CPU and throughput. --lite-mode (no optimizing
# compiler): idle RSS 55 MB instead of 65 MB and a 1M-line log burst peaks at 64 MB instead of 92 MB,
# for ~2.4x the CPU per streamed log line (idle CPU unchanged); it also turns WebAssembly off, so the
# agent must not use fetch() (undici's parser is WebAssembly) -- test/packaging/agent-bundle checks.
# Node 20/22 print one "disabling flag --expose_wasm" warning at start; --no-expose-wasm would silence
# it but is a bad option on Node 24, so it stays. Figures: docs/performance.md.
# To trade the memory back for log CPU: docker run --entrypoint node IMAGE --max-semi-space-size=1 /app/berth-agent.mjs ...
ENTRYPOINT ["node", "--max-semi-space-size=1", "--lite-mode", "/app/berth-agent.mjs"]
