import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeResult, headOf, RESULT_LIMIT_BYTES } from '../../src/result/decode.js';
import { classifyOutcome, outcomeError, outcomeValue } from '../../src/result/outcome.js';
import {
  JobFailedError,
  MalformedResultError,
  NoResultReportedError,
  ResultTooLargeError,
} from '../../src/errors.js';

const bytes = (text: string | number[]): Uint8Array =>
  typeof text === 'string' ? Buffer.from(text, 'utf8') : Uint8Array.from(text);

describe('decodeResult', () => {
  it('returns every kind of JSON value', () => {
    for (const text of [
      '{"a":1}',
      '[1]',
      '1.5e3',
      '"s"',
      'true',
      'false',
      'null',
      ' {"x": [] }\n',
    ]) {
      const decoded = decodeResult({ bytes: bytes(text) });
      assert.equal(decoded.kind, 'value', text);
      if (decoded.kind === 'value') assert.deepEqual(decoded.value, JSON.parse(text));
    }
  });

  it('treats missing, empty and JSON whitespace as no result', () => {
    assert.deepEqual(decodeResult({ bytes: null }), { kind: 'none', detail: 'missing' });
    assert.deepEqual(decodeResult({ bytes: bytes('') }), { kind: 'none', detail: 'empty' });
    assert.deepEqual(decodeResult({ bytes: bytes(' \t\r\n') }), {
      kind: 'none',
      detail: 'whitespace',
    });
    assert.deepEqual(decodeResult({ bytes: bytes([0xef, 0xbb, 0xbf]) }), {
      kind: 'none',
      detail: 'whitespace',
    });
  });

  it('drops a BOM but only one', () => {
    const decoded = decodeResult({ bytes: bytes([0xef, 0xbb, 0xbf, 0x31]) });
    assert.equal(decoded.kind, 'value');
    const twice = decodeResult({ bytes: bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31]) });
    assert.equal(twice.kind, 'malformed');
  });

  it('accepts exactly the limit and rejects one byte more with the size', () => {
    const exact = `"${'x'.repeat(RESULT_LIMIT_BYTES - 2)}"`;
    assert.equal(decodeResult({ bytes: bytes(exact) }).kind, 'value');
    const over = `"${'x'.repeat(RESULT_LIMIT_BYTES - 1)}"`;
    assert.deepEqual(decodeResult({ bytes: bytes(over) }), {
      kind: 'too_large',
      size: 4097,
      limit: 4096,
    });
  });

  it('uses the true size when only a prefix was read', () => {
    assert.deepEqual(decodeResult({ bytes: bytes('{'), size: 10_000_000 }), {
      kind: 'too_large',
      size: 10_000_000,
      limit: 4096,
    });
  });

  it('honours a smaller limit (Kubernetes pods with many containers)', () => {
    assert.equal(decodeResult({ bytes: bytes(`"${'x'.repeat(3000)}"`) }, 3072).kind, 'value');
    assert.equal(decodeResult({ bytes: bytes(`"${'x'.repeat(3071)}"`) }, 3072).kind, 'too_large');
  });

  it('classifies invalid UTF-8, truncation, two values and NaN as malformed', () => {
    for (const input of [
      bytes([0x22, 0xff, 0x22]),
      bytes('{"a": 1'),
      bytes('1 2'),
      bytes('NaN'),
      bytes("{'a': 1}"),
    ]) {
      assert.equal(decodeResult({ bytes: input }).kind, 'malformed');
    }
  });

  it('keeps __proto__ as plain data', () => {
    const decoded = decodeResult({ bytes: bytes('{"__proto__": {"polluted": true}}') });
    assert.equal(decoded.kind, 'value');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    if (decoded.kind === 'value') assert.ok(Object.hasOwn(decoded.value as object, '__proto__'));
  });

  it('quotes the head of a malformed file with control bytes escaped', () => {
    assert.equal(headOf(bytes([0x61, 0x00, 0xff, 0x62])), 'a\\x00\\ufffdb');
    assert.ok(headOf(bytes('x'.repeat(100))).endsWith('…'));
  });
});

describe('classifyOutcome and outcomeError', () => {
  it('maps each outcome to its error', () => {
    const ok = { status: 'succeeded', attempt: 0 } as const;
    assert.deepEqual(outcomeValue('j', classifyOutcome(ok, { bytes: bytes('{"v":1}') })), { v: 1 });
    assert.ok(
      outcomeError('j', classifyOutcome(ok, { bytes: null })) instanceof NoResultReportedError,
    );
    assert.ok(
      outcomeError('j', classifyOutcome(ok, { bytes: bytes('{') })) instanceof MalformedResultError,
    );
    assert.ok(
      outcomeError('j', classifyOutcome(ok, { bytes: bytes('1'), size: 5000 })) instanceof
        ResultTooLargeError,
    );
  });

  it('attaches the reported value to a failure, and no value when it is not JSON', () => {
    const failed = {
      status: 'failed',
      reason: 'rank 0 exited 1',
      rank: 0,
      exitCode: 1,
      attempt: 2,
      logTail: ['x'],
    } as const;
    const withValue = outcomeError(
      'j',
      classifyOutcome(failed, { bytes: bytes('{"partial": 1}') }),
    );
    assert.ok(withValue instanceof JobFailedError);
    assert.deepEqual(withValue.value, { partial: 1 });
    assert.equal(withValue.attempt, 2);
    const without = outcomeError('j', classifyOutcome(failed, { bytes: bytes('{') }));
    assert.ok(without instanceof JobFailedError);
    assert.ok(!('value' in without));
  });
});
