/**
 * The local path classifies result files like the pure decoder: a few hundred fuzzed files, each
 * copied with `cp` into a real job's `result.json`, and the outcome the local backend recorded
 * compared with `classifyOutcome` on the same bytes. The Kubernetes backend reuses
 * {@link checkResultPath} with a path of its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { RESULT_LIMIT_BYTES } from '../../src/result/decode.js';
import type { Outcome } from '../../src/result/outcome.js';
import type { TaskSpec } from '../../src/task/types.js';
import {
  checkResultPath,
  type ResultCase,
  type ResultPath,
  sampleResultCases,
} from './result-cases.js';
import { removeHome } from '../support/common.js';

const CASES = Number(process.env['KONDUKTOR_LOCAL_PATH_CASES'] ?? 300);
/** Jobs in flight at once: the machine is shared. */
const BATCH = 16;

const dir = mkdtempSync(join(tmpdir(), 'konduktor-local-path-'));
after(() => {
  removeHome(dir);
});

function localPath(backend: LocalBackend): ResultPath {
  let next = 0;
  const runOne = async (c: ResultCase): Promise<Outcome> => {
    const file = join(dir, `case-${next++}`);
    let run = 'true';
    if (c.bytes !== null) {
      writeFileSync(file, c.bytes);
      run = 'cp "$CASE_FILE" "$KONDUKTOR_OUTPUT_DIR/result.json"';
    }
    const spec: TaskSpec = {
      name: 'fuzz',
      run,
      envs: { CASE_FILE: file },
      numNodes: 1,
      fileMounts: {},
      resources: { labels: {}, maxRestarts: 0 },
    };
    const name = await backend.submit(spec);
    const info = await backend.waitTerminal(name, { signal: AbortSignal.timeout(60_000) });
    assert.equal(info.status, 'SUCCEEDED', `${name}: ${info.reason ?? ''}`);
    return info.outcome;
  };
  return {
    name: 'local',
    run: async (cases) => {
      const outcomes: Outcome[] = [];
      for (let i = 0; i < cases.length; i += BATCH) {
        outcomes.push(...(await Promise.all(cases.slice(i, i + BATCH).map(runOne))));
      }
      return outcomes;
    },
  };
}

describe('the local path classifies result files like the decoder', () => {
  let backend: LocalBackend;
  before(() => {
    backend = new LocalBackend({ home: join(dir, 'home'), graceMs: 1000 });
  });
  after(async () => {
    await backend.close();
  });

  it(
    `${CASES} fuzzed files, copied into result.json by real jobs`,
    { timeout: 300_000 },
    async () => {
      const seed = Number(process.env['KONDUKTOR_FUZZ_SEED'] ?? 20_260_601);
      const cases = sampleResultCases(CASES, seed);
      const families = new Set(cases.map((c) => c.family));
      assert.ok(families.size >= 10, `only ${families.size} families sampled`);
      await checkResultPath(localPath(backend), cases);
    },
  );

  it('sizes at the limit, far over it, and a missing file', { timeout: 120_000 }, async () => {
    const sized = (n: number): Uint8Array => {
      const bytes = Buffer.alloc(n, 0x20);
      bytes.write('[1]', 0);
      return new Uint8Array(bytes);
    };
    await checkResultPath(localPath(backend), [
      { family: 'limit', bytes: sized(RESULT_LIMIT_BYTES) },
      { family: 'limit+1', bytes: sized(RESULT_LIMIT_BYTES + 1) },
      // The backend reads only limit + 1 bytes; the size it reports is the file's.
      { family: '8 MiB', bytes: sized(8 * 1024 * 1024) },
      { family: 'missing', bytes: null },
      { family: 'empty', bytes: new Uint8Array() },
    ]);
  });
});
