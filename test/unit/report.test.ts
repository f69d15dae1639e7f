import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ReportError } from '../../src/errors.js';
import { report } from '../../src/result/report.js';
import { decodeResult } from '../../src/result/decode.js';

describe('report()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'konduktor-report-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'result.json');

  it('writes one JSON document the decoder reads back', () => {
    const size = report({ val_loss: 0.42 }, { outputDir: dir });
    const text = readFileSync(file);
    assert.equal(size, text.length);
    const decoded = decodeResult({ bytes: text });
    assert.equal(decoded.kind, 'value');
    if (decoded.kind === 'value') assert.deepEqual(decoded.value, { val_loss: 0.42 });
  });

  it('writes lone surrogates (undecodable file names) as escapes: valid UTF-8, the same value back', () => {
    // What Python's os.fsdecode(b"/ckpt/run\xff.pt") gives; the Python report() writes the same bytes.
    for (const value of [
      { ckpt: '/ckpt/run\udcff.pt' },
      { 'key\udcfe': ['\udc80\udc81', '\ud800', 'x\udfffy'] },
    ]) {
      report(value, { outputDir: dir });
      const bytes = readFileSync(file);
      assert.ok(!bytes.toString('latin1').includes('\xed'), 'no CESU-8 surrogate bytes');
      const decoded = decodeResult({ bytes });
      assert.equal(decoded.kind, 'value');
      if (decoded.kind === 'value') assert.deepEqual(decoded.value, value);
    }
    assert.equal(readFileSync(file, 'utf8').split('"')[1], 'key\\udcfe');
  });

  it('refuses values over the limit and writes nothing', () => {
    rmSync(file, { force: true });
    assert.throws(
      () => report('x'.repeat(5000), { outputDir: dir }),
      (error: unknown) => {
        assert.ok(error instanceof ReportError);
        assert.match(error.message, /5003 bytes, over the limit of 4096/);
        return true;
      },
    );
    assert.ok(!existsSync(file));
  });

  it('accepts a document of exactly the limit (newline included)', () => {
    assert.equal(report('y'.repeat(4093), { outputDir: dir }), 4096);
  });

  it('refuses what is not JSON data', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const value of [undefined, () => 1, 10n, cyclic, { x: NaN }, [Infinity]]) {
      assert.throws(() => report(value, { outputDir: dir }), ReportError);
    }
  });

  it('explains a missing KONDUKTOR_OUTPUT_DIR', () => {
    const saved = process.env['KONDUKTOR_OUTPUT_DIR'];
    delete process.env['KONDUKTOR_OUTPUT_DIR'];
    try {
      assert.throws(() => report(1), /KONDUKTOR_OUTPUT_DIR is not set/);
    } finally {
      if (saved !== undefined) process.env['KONDUKTOR_OUTPUT_DIR'] = saved;
    }
  });

  it('uses KONDUKTOR_OUTPUT_DIR and KONDUKTOR_RESULT_LIMIT from the environment', () => {
    process.env['KONDUKTOR_OUTPUT_DIR'] = dir;
    process.env['KONDUKTOR_RESULT_LIMIT'] = '10';
    try {
      assert.throws(() => report('a long string'), /over the limit of 10/);
      assert.equal(report(12345), 6);
    } finally {
      delete process.env['KONDUKTOR_OUTPUT_DIR'];
      delete process.env['KONDUKTOR_RESULT_LIMIT'];
    }
  });
});
