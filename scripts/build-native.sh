#!/usr/bin/env bash
# Builds native/build/konduktor-supervise, the local backend's launcher and job supervisor in C
# (native/supervise.c). Without a C compiler konduktor uses its bash supervisor instead, which
# needs nothing but bash and costs more CPU per job: this says so and succeeds.
set -euo pipefail
cd "$(dirname "$0")/.."
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "konduktor: no C compiler ($cc): the local backend will use its bash supervisor (slower per job); install gcc and run npm run build to build the native one" >&2
  exit 0
fi
mkdir -p native/build
"$cc" -O2 -std=c11 -Wall -Wextra -Werror -o native/build/konduktor-supervise.tmp native/supervise.c
mv native/build/konduktor-supervise.tmp native/build/konduktor-supervise
