/**
 * `reportMetrics()` refuses what the metric-line contract refuses, writing nothing then; what it
 * writes reads back through the same parser the backends use.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseMetricLine, reportMetrics } from '../../src/index.js';

describe('reportMetrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-metrics-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'metrics.jsonl');

  const refused: [string, () => number, RegExp][] = [
    ['a fractional step', () => reportMetrics(1.5, { a: 1 }, { outputDir: dir }), /integer/],
    ['NaN', () => reportMetrics(1, { a: NaN }, { outputDir: dir }), /"a" must be a finite/],
    ['Infinity', () => reportMetrics(1, { a: Infinity }, { outputDir: dir }), /finite/],
    [
      'a string value',
      () => reportMetrics(1, { a: 'x' } as unknown as Record<string, number>, { outputDir: dir }),
      /got string/,
    ],
    ['a "step" metric', () => reportMetrics(1, { step: 2 }, { outputDir: dir }), /not a metric/],
    [
      'a line over 4 KiB',
      () =>
        reportMetrics(
          1,
          Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`metric_${i}`, i])),
          { outputDir: dir },
        ),
      /over the limit of 4096/,
    ],
    ['no output directory', () => reportMetrics(1, { a: 1 }, { outputDir: '' }), /not set/],
  ];
  for (const [what, call, message] of refused) {
    it(`refuses ${what} and writes nothing`, () => {
      assert.throws(call, (err: Error & { code?: string }) => {
        assert.equal(err.code, 'REPORT_REFUSED');
        assert.match(err.message, message);
        return true;
      });
      assert.equal(existsSync(file), false);
    });
  }

  it('appends one parseable line per call', () => {
    reportMetrics(0, { loss: 0.5 }, { outputDir: dir });
    reportMetrics(1, { loss: 0.25 }, { outputDir: dir });
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((line) => parseMetricLine(line)),
      [
        { ok: true, step: 0, values: { loss: 0.5 } },
        { ok: true, step: 1, values: { loss: 0.25 } },
      ],
    );
  });
});
