# The konduktor image: Node 20 and this checkout's konduktor (production dependencies only),
# entrypoint `konduktor`, user nobody. deploy/recorder.yaml runs it as `konduktor recorder`.
#   docker build -t REGISTRY/konduktor:0.1.0 . && docker push REGISTRY/konduktor:0.1.0
# scripts/image/build.sh builds the same layout without Docker (the test cluster's image, tested
# by test/k8s/recorder-deployment.test.ts); this file is not built by the test suite, whose
# machines have no Docker.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its addon when no prebuilt one can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY src src
COPY dashboard-ui dashboard-ui
COPY native native
COPY scripts/build-native.sh scripts/build-dashboard.sh scripts/
# `npm ci` builds dist/ (the `prepare` script); the prune leaves what `npm install konduktor` would.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
COPY --from=build /src/package.json /opt/konduktor/package.json
COPY --from=build /src/bin /opt/konduktor/bin
COPY --from=build /src/dist /opt/konduktor/dist
COPY --from=build /src/node_modules /opt/konduktor/node_modules
ENV KONDUKTOR_HOME=/tmp/konduktor
USER 65534:65534
WORKDIR /tmp
ENTRYPOINT ["node", "--", "/opt/konduktor/bin/konduktor.js"]
CMD ["recorder"]
