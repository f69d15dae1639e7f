/**
 * The result decoder fuzzed: at least 10,000 generated and mutated result files, each checked
 * against an oracle written independently of the decoder (its own UTF-8 validator and JSON
 * recognizer), each giving exactly one outcome of the table, none crashing or taking long.
 *
 * The seed is printed; rerun a failure with KONDUKTOR_FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JobFailedError } from '../../src/errors.js';
import { decodeResult, RESULT_LIMIT_BYTES } from '../../src/result/decode.js';
import { outcomeError, outcomeValue, classifyOutcome } from '../../src/result/outcome.js';
import {
  assertDecodesLikeOracle,
  isJsonText,
  isValidUtf8,
  oracle,
  resultCaseFamilies,
  type ResultCase,
} from './result-cases.js';

const seed = Number(process.env['KONDUKTOR_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
process.stderr.write(`decode fuzz seed: ${seed} (KONDUKTOR_FUZZ_SEED=${seed} to replay)\n`);

/** Runs per family; the sum is the number of files fuzzed. */
const RUNS: Readonly<Record<keyof typeof resultCaseFamilies, number>> = {
  'valid-json': 1500,
  truncated: 1200,
  'random-bytes': 1200,
  'invalid-utf8': 1000,
  'huge-numbers': 300,
  'deep-nesting': 600,
  'proto-keys': 400,
  bom: 800,
  whitespace: 500,
  'near-limit': 800,
  mutated: 2000,
  missing: 1,
};

/** A decode slower than this is a hang for our purposes (4 KiB of input at most). */
const SLOW_MS = 250;
let fuzzed = 0;
const kinds = new Map<string, number>();

function check(c: ResultCase): void {
  const t0 = performance.now();
  assertDecodesLikeOracle(c.bytes);
  const ms = performance.now() - t0;
  assert.ok(ms < SLOW_MS, `decoding took ${ms.toFixed(0)} ms`);
  const kind = decodeResult({ bytes: c.bytes }).kind;
  kinds.set(`${c.family}:${kind}`, (kinds.get(`${c.family}:${kind}`) ?? 0) + 1);
  fuzzed += 1;
}

describe('result decoding, fuzzed', () => {
  for (const [family, arbitrary] of Object.entries(resultCaseFamilies)) {
    const runs = RUNS[family as keyof typeof resultCaseFamilies];
    it(`${family}: ${runs} files agree with the oracle`, () => {
      fc.assert(
        fc.property(arbitrary, (c) => {
          check(c);
        }),
        { numRuns: runs, seed },
      );
    });
  }

  it('files larger than what was read are too large (a backend reads limit + 1 bytes)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: RESULT_LIMIT_BYTES + 1, maxLength: RESULT_LIMIT_BYTES + 1 }),
        fc.integer({ min: RESULT_LIMIT_BYTES + 1, max: 2 ** 40 }),
        (bytes, size) => {
          assertDecodesLikeOracle(bytes, size);
          fuzzed += 1;
        },
      ),
      { numRuns: 300, seed },
    );
  });

  it('a result full of __proto__ keys pollutes no prototype, through every step', () => {
    fc.assert(
      fc.property(resultCaseFamilies['proto-keys'], (c) => {
        const outcome = classifyOutcome({ status: 'succeeded', attempt: 0 }, { bytes: c.bytes });
        assert.equal(outcome.kind, 'value');
        const value = outcomeValue('job-0000', outcome) as Record<string, unknown>;
        // Stored as JSON and read back, as the store does.
        const stored = JSON.parse(JSON.stringify(outcome)) as typeof outcome;
        outcomeValue('job-0000', stored);
        assert.ok(Object.hasOwn(value, '__proto__'));
        assert.equal(Object.getPrototypeOf(value), Object.prototype);
        const failed = classifyOutcome(
          { status: 'failed', reason: 'r', attempt: 0, logTail: [] },
          { bytes: c.bytes },
        );
        const error = outcomeError('job-0000', failed);
        assert.ok(error instanceof JobFailedError);
        assert.ok(Object.hasOwn(error.value as object, '__proto__'));
        fuzzed += 1;
      }),
      { numRuns: 200, seed },
    );
    const probe: Record<string, unknown> = {};
    assert.equal(probe['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(Object.prototype.hasOwnProperty.call(Array.prototype, 'polluted'), false);
  });

  it('the oracle itself: known answers', () => {
    // The oracle must be right for the comparison to mean anything.
    assert.ok(isValidUtf8(Buffer.from('€ 𝄞 é')));
    for (const bad of [
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      assert.equal(isValidUtf8(Uint8Array.from(bad)), false, String(bad));
      assert.equal(Buffer.from(Uint8Array.from(bad)).toString() === '', false);
    }
    for (const good of ['0', ' {"a": [1, 2.5e-3, "\\u00e9"]} ', 'null', '"\\ud800"', '-0'])
      assert.ok(isJsonText(good), good);
    for (const bad of ['01', '1.', '.5', '+1', '[1,]', '{"a"}', "'a'", 'NaN', '1 2', '"\t"'])
      assert.equal(isJsonText(bad), false, bad);
    assert.deepEqual(oracle(Buffer.from(' \n')), { kind: 'none', detail: 'whitespace' });
    assert.deepEqual(oracle(Buffer.from('\ufeff')), { kind: 'none', detail: 'whitespace' });
    assert.equal(oracle(Buffer.alloc(RESULT_LIMIT_BYTES, 0x20)).kind, 'none');
    assert.equal(oracle(Buffer.alloc(RESULT_LIMIT_BYTES + 1, 0x20)).kind, 'too_large');
  });

  it('fuzzed at least 10,000 files, with every outcome kind reached', () => {
    process.stderr.write(
      `decode fuzz: ${fuzzed} files; by family and outcome: ${JSON.stringify(Object.fromEntries([...kinds].sort()))}\n`,
    );
    assert.ok(fuzzed >= 10_000, `only ${fuzzed} files fuzzed`);
    const reached = new Set([...kinds.keys()].map((key) => key.split(':')[1]));
    assert.deepEqual([...reached].sort(), ['malformed', 'none', 'too_large', 'value']);
  });
});
