/**
 * The Kubernetes path classifies result files like the local one: the fuzzed cases go through
 * the real container script (what rank 0's pod runs), then through what the kubelet and the API
 * do to a termination message (keep its last 4096 bytes, carry it as a UTF-8 string), then
 * through the backend's reader; the outcome must equal the pure decoder's on the original bytes,
 * which is what the local backend records (test/fuzz/local-path.test.ts). The real cluster runs
 * the conformance suite's cases end to end (test/k8s/conformance.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CONTAINER_SCRIPT } from '../../src/backends/kubernetes/manifests.js';
import { readMessage } from '../../src/backends/kubernetes/outcome.js';
import { readReporterFile } from '../../src/backends/local/job-dir.js';
import type { ReporterFile } from '../../src/result/decode.js';
import { classifyOutcome, type Outcome, outcomeError } from '../../src/result/outcome.js';
import { HOSTILE_RESULTS, OUT } from '../support/hostile-results.js';
import { checkResultPath, type ResultPath, sampleResultCases } from './result-cases.js';

const CASES = Number(process.env['KONDUKTOR_K8S_PATH_CASES'] ?? 400);
/** The kubelet's cap: it keeps the last bytes of the file, up to this many. */
const KUBELET_TAIL = 4096;

const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-path-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the container script as rank 0 with `run`, in a fresh output directory; returns the
 * termination message as the API would carry it and the output directory. Fails when the script
 * does not end within a minute (a read that blocked) or exits non-zero.
 */
function runContainerScript(
  name: string,
  run: string,
  env: Record<string, string> = {},
): { message: string; out: string } {
  const out = join(dir, `out-${name}`);
  mkdirSync(out, { recursive: true });
  const termination = join(out, '.konduktor-termination-log');
  writeFileSync(termination, '');
  const result = spawnSync('bash', ['-c', CONTAINER_SCRIPT, 'konduktor'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      KONDUKTOR_OUTPUT_DIR: out,
      RANK: '0',
      _KONDUKTOR_RUN: run,
      _KONDUKTOR_RESULT_LIMIT: '4096',
      _KONDUKTOR_TERMINATION_FILE: termination,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  if (result.error !== undefined || result.status !== 0)
    throw new Error(
      `the container script ${result.error === undefined ? `exited ${String(result.status)}` : `failed: ${result.error.message}`}: ${result.stderr.toString()}`,
    );
  const file = readFileSync(termination);
  const kept = file.subarray(Math.max(0, file.length - KUBELET_TAIL));
  // The API server carries the message as a JSON string: decoded as UTF-8.
  return { message: kept.toString('utf8'), out };
}

const succeeded = { status: 'succeeded', attempt: 0 } as const;

const kubernetesPath: ResultPath = {
  name: 'kubernetes (container script → kubelet tail → API string → reader)',
  run: async (cases) =>
    cases.map((c, i): Outcome => {
      const caseFile = join(dir, `case-${i}`);
      if (c.bytes !== null) writeFileSync(caseFile, c.bytes);
      const run = c.bytes === null ? 'true' : 'cp "$CASE_FILE" "$KONDUKTOR_OUTPUT_DIR/result.json"';
      const { message } = runContainerScript(String(i), run, { CASE_FILE: caseFile });
      return classifyOutcome(succeeded, readMessage(message).file);
    }),
};

describe('the Kubernetes path classifies result files like the decoder', () => {
  it(
    `${CASES} fuzzed files through the container script and the kubelet's rules`,
    { timeout: 300_000 },
    async () => {
      const seed = Number(process.env['KONDUKTOR_FUZZ_SEED'] ?? 20_260_601);
      await checkResultPath(kubernetesPath, sampleResultCases(CASES, seed));
    },
  );
});

/** The facts both backends must agree on (error texts are the tools' own words). */
function facts(file: ReporterFile): unknown {
  const outcome = classifyOutcome(succeeded, file);
  if (outcome.kind !== 'no_result' || outcome.found === undefined) return outcome;
  const { error: _error, ...found } = outcome.found;
  return { ...outcome, found };
}

describe('the container script ends at once whatever stands at result.json', () => {
  for (const c of [
    ...HOSTILE_RESULTS,
    { name: 'noperm', run: `echo '{"a": 1}' > ${OUT}; chmod 000 ${OUT}`, message: /./ },
  ]) {
    it(`${c.name}: the same outcome as the local backend's reader`, () => {
      const { message, out } = runContainerScript(`hostile-${c.name}`, c.run);
      const kubernetes = readMessage(message).file;
      const local = readReporterFile(join(out, 'result.json'));
      if (c.name === 'dev-stdin') {
        // /dev/stdin is each reader's own: the script's is /dev/null, this process's may differ.
        assert.equal(kubernetes.found?.link, '/dev/stdin');
        assert.equal(local.found?.link, '/dev/stdin');
      } else {
        assert.deepEqual(facts(kubernetes), facts(local));
      }
      const outcome = classifyOutcome(succeeded, kubernetes);
      if (outcome.kind === 'no_result') {
        assert.equal(outcome.detail, 'not_a_file');
        assert.match(outcomeMessage(outcome), c.message);
      }
    });
  }
});

describe('the container script ends even when the copy of result.json would not', () => {
  it('gives up after 10 s where the image has timeout(1), and says so', { timeout: 60_000 }, () => {
    // A head that never ends stands for a named pipe swapped in after the script looked.
    const bin = join(dir, 'stuck-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'head'), '#!/bin/sh\nexec sleep 50\n', { mode: 0o755 });
    const started = Date.now();
    const { message } = runContainerScript('stuck', `echo '{"a": 1}' > ${OUT}`, {
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    });
    assert.ok(Date.now() - started < 40_000, 'the script waited for the copy');
    assert.deepEqual(readMessage(message).file.found, {
      kind: 'unreadable',
      error: 'the read did not end within 10 s',
    });
  });
});

function outcomeMessage(outcome: Outcome): string {
  return outcomeError('job', outcome)?.message ?? '';
}
