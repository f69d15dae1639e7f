/**
 * The Kubernetes path classifies result files like the local one: the fuzzed cases go through
 * the real container script (what rank 0's pod runs), then through what the kubelet and the API
 * do to a termination message (keep its last 4096 bytes, carry it as a UTF-8 string), then
 * through the backend's reader; the outcome must equal the pure decoder's on the original bytes,
 * which is what the local backend records (test/fuzz/local-path.test.ts). The real cluster runs
 * the conformance suite's cases end to end (test/k8s/conformance.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CONTAINER_SCRIPT } from '../../src/backends/kubernetes/manifests.js';
import { readMessage } from '../../src/backends/kubernetes/outcome.js';
import { classifyOutcome, type Outcome } from '../../src/result/outcome.js';
import { checkResultPath, type ResultPath, sampleResultCases } from './result-cases.js';

const CASES = Number(process.env['KONDUKTOR_K8S_PATH_CASES'] ?? 400);
/** The kubelet's cap: it keeps the last bytes of the file, up to this many. */
const KUBELET_TAIL = 4096;

const dir = mkdtempSync(join(tmpdir(), 'konduktor-k8s-path-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const kubernetesPath: ResultPath = {
  name: 'kubernetes (container script → kubelet tail → API string → reader)',
  run: async (cases) =>
    cases.map((c, i): Outcome => {
      const out = join(dir, `out-${i}`);
      mkdirSync(out, { recursive: true });
      const termination = join(out, '.konduktor-termination-log');
      writeFileSync(termination, '');
      const caseFile = join(dir, `case-${i}`);
      if (c.bytes !== null) writeFileSync(caseFile, c.bytes);
      const run = c.bytes === null ? 'true' : 'cp "$CASE_FILE" "$KONDUKTOR_OUTPUT_DIR/result.json"';
      const result = spawnSync('bash', ['-c', CONTAINER_SCRIPT, 'konduktor'], {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          KONDUKTOR_OUTPUT_DIR: out,
          RANK: '0',
          CASE_FILE: caseFile,
          _KONDUKTOR_RUN: run,
          _KONDUKTOR_RESULT_LIMIT: '4096',
          _KONDUKTOR_TERMINATION_FILE: termination,
        },
      });
      if (result.status !== 0)
        throw new Error(`the container script exited ${String(result.status)}`);
      const file = readFileSync(termination);
      const kept = file.subarray(Math.max(0, file.length - KUBELET_TAIL));
      // The API server carries the message as a JSON string: decoded as UTF-8.
      const message = kept.toString('utf8');
      return classifyOutcome({ status: 'succeeded', attempt: 0 }, readMessage(message).file);
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
