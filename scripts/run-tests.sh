#!/usr/bin/env bash
# Runs the node:test files under the given directories (bash expands the globs: Node 20's test
# runner does not) and fails when there is no test file, so "ran no test" can never pass.
set -euo pipefail
shopt -s globstar nullglob
files=()
for dir in "$@"; do
  files+=("$dir"/**/*.test.ts)
done
if ((${#files[@]} == 0)); then
  echo "run-tests: no test files under: $*" >&2
  exit 1
fi
exec node --import tsx --test --test-reporter=spec --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-timeout="${TEST_TIMEOUT_MS:-300000}" "${files[@]}"
