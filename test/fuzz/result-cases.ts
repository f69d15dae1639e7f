/**
 * Result files for fuzzing the result contract (spec §1.5–1.7), an oracle written independently
 * of `src/result/decode.ts`, and {@link checkResultPath}, which runs cases through a backend's
 * real path (a job that copies the bytes into its `result.json`) and compares what the backend
 * recorded with the pure decoder. The local backend uses it now; the Kubernetes backend plugs in a
 * {@link ResultPath} of its own (see docs/reliability.md).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeResult, RESULT_LIMIT_BYTES } from '../../src/result/decode.js';
import { classifyOutcome, type Outcome } from '../../src/result/outcome.js';

/** One generated reporter file: its bytes (`null`: the file does not exist) and where it came from. */
export interface ResultCase {
  readonly family: string;
  readonly bytes: Uint8Array | null;
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the spec says each file must be classified as, written without the decoder.
// ---------------------------------------------------------------------------------------------

/** The classification the spec demands. */
export type Expected =
  | { readonly kind: 'none'; readonly detail: 'missing' | 'empty' | 'whitespace' }
  | { readonly kind: 'too_large'; readonly size: number }
  | { readonly kind: 'malformed'; readonly why: 'utf8' | 'json' }
  | { readonly kind: 'value'; readonly text: string; readonly value: unknown };

/**
 * A UTF-8 validator following RFC 3629 / Unicode table 3-7 byte by byte (no TextDecoder): no
 * overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequences.
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  const at = (k: number): number => bytes[k] ?? -1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => at(k) >= lo && at(k) <= hi;
  while (i < bytes.length) {
    const b = at(i);
    if (b <= 0x7f) i += 1;
    else if (b >= 0xc2 && b <= 0xdf && cont(i + 1)) i += 2;
    else if (b === 0xe0 && cont(i + 1, 0xa0) && cont(i + 2)) i += 3;
    else if (((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) && cont(i + 1) && cont(i + 2))
      i += 3;
    else if (b === 0xed && cont(i + 1, 0x80, 0x9f) && cont(i + 2)) i += 3;
    else if (b === 0xf0 && cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b >= 0xf1 && b <= 0xf3 && cont(i + 1) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b === 0xf4 && cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3)) i += 4;
    else return false;
  }
  return true;
}

const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/**
 * A recognizer for exactly one RFC 8259 JSON text (surrounding whitespace allowed), independent
 * of `JSON.parse`. Recursive: callers keep the nesting within the 4096-byte limit (≤ 2048 deep).
 */
export function isJsonText(text: string): boolean {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i += 1;
  };
  const literal = (word: string): boolean => {
    if (!text.startsWith(word, i)) return false;
    i += word.length;
    return true;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    i += 1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i += 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1] ?? '';
        if ('"\\/bfnrt'.includes(e) && e !== '') i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else return false;
      } else i += 1;
    }
    return false;
  };
  const number = (): boolean => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  const value = (): boolean => {
    ws();
    const c = text[i];
    let ok: boolean;
    if (c === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        ok = true;
      } else {
        ok = false;
        for (;;) {
          ws();
          if (!string()) break;
          ws();
          if (text[i] !== ':') break;
          i += 1;
          if (!value()) break;
          if (text[i] === ',') {
            i += 1;
            continue;
          }
          if (text[i] === '}') {
            i += 1;
            ok = true;
          }
          break;
        }
      }
    } else if (c === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        ok = true;
      } else {
        ok = false;
        for (;;) {
          if (!value()) break;
          if (text[i] === ',') {
            i += 1;
            continue;
          }
          if (text[i] === ']') {
            i += 1;
            ok = true;
          }
          break;
        }
      }
    } else if (c === '"') ok = string();
    else if (c === 't') ok = literal('true');
    else if (c === 'f') ok = literal('false');
    else if (c === 'n') ok = literal('null');
    else ok = number();
    ws();
    return ok;
  };
  return value() && i === text.length;
}

const WS_BYTES = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** What the spec says `bytes` must be classified as, for a file of `size` bytes. */
export function oracle(bytes: Uint8Array | null, size = bytes?.length ?? 0): Expected {
  if (bytes === null) return { kind: 'none', detail: 'missing' };
  if (size > RESULT_LIMIT_BYTES) return { kind: 'too_large', size };
  if (size === 0) return { kind: 'none', detail: 'empty' };
  const body =
    bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (body.every((b) => WS_BYTES.has(b))) return { kind: 'none', detail: 'whitespace' };
  if (!isValidUtf8(body)) return { kind: 'malformed', why: 'utf8' };
  const text = Buffer.from(body).toString('utf8');
  if (!isJsonText(text)) return { kind: 'malformed', why: 'json' };
  return { kind: 'value', text, value: JSON.parse(text) as unknown };
}

/**
 * Asserts that the decoder agrees with the oracle on one file, that the file gives exactly one
 * outcome of the table through `classifyOutcome`, and that a value is plain data.
 */
export function assertDecodesLikeOracle(bytes: Uint8Array | null, size?: number): void {
  const file = size === undefined ? { bytes } : { bytes, size };
  const want = oracle(bytes, size);
  const got = decodeResult(file);
  const where = (): string =>
    `bytes ${bytes === null ? 'null' : Buffer.from(bytes.subarray(0, 80)).toString('hex')}…`;
  assert.equal(got.kind, want.kind, `kind: ${where()}`);
  switch (want.kind) {
    case 'none':
      assert.deepEqual(got, want);
      break;
    case 'too_large':
      assert.deepEqual(got, { kind: 'too_large', size: want.size, limit: RESULT_LIMIT_BYTES });
      break;
    case 'malformed':
      assert.ok(got.kind === 'malformed');
      assert.ok(got.parseError !== '', where());
      if (want.why === 'utf8') assert.match(got.parseError, /UTF-8/);
      // The quoted head is printable: no raw control bytes reach a terminal.
      for (let k = 0; k < got.head.length; k += 1) {
        const code = got.head.charCodeAt(k);
        assert.ok(code >= 0x20 || code === 0x0a || code === 0x09, where());
      }
      break;
    case 'value':
      assert.ok(got.kind === 'value');
      assert.equal(got.text, want.text);
      // By their JSON: assert.deepEqual recurses too deep for nesting near 2048 levels.
      assert.equal(JSON.stringify(got.value), JSON.stringify(want.value));
      assertPlainData(got.value);
      break;
  }
  // Exactly one outcome of the table, on success and on failure.
  const succeeded = classifyOutcome({ status: 'succeeded', attempt: 0 }, file);
  const expectedKind = {
    none: 'no_result',
    too_large: 'too_large',
    malformed: 'malformed',
  } as const;
  assert.equal(succeeded.kind, want.kind === 'value' ? 'value' : expectedKind[want.kind]);
  const failed = classifyOutcome(
    { status: 'failed', reason: 'rank 0 exited with code 1', attempt: 0, logTail: [] },
    file,
  );
  assert.equal(failed.kind, 'failed');
  assert.equal(failed.kind === 'failed' && failed.valueText !== undefined, want.kind === 'value');
}

/** Values built by JSON.parse: own `__proto__` keys stay data, never a prototype. */
function assertPlainData(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 64) return;
  const proto: unknown = Object.getPrototypeOf(value);
  assert.ok(proto === Object.prototype || proto === Array.prototype, 'a plain object or array');
  for (const child of Object.values(value as Record<string, unknown>)) {
    assertPlainData(child, depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------

const enc = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const BOM_BYTES = Uint8Array.of(0xef, 0xbb, 0xbf);

const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890123456789',
  '1.7976931348623157e309',
  '-0',
  '0.1e1',
  '9007199254740993',
  '1E+2',
  '01',
  '1.',
  '.5',
  '+1',
  '0x10',
  'NaN',
  'Infinity',
  '-',
  '1e',
] as const;

const PROTO_DOCS = [
  '{"__proto__": {"polluted": "yes"}}',
  '{"a": {"__proto__": {"polluted": "yes"}}, "__proto__": null}',
  '{"constructor": {"prototype": {"polluted": "yes"}}}',
  '[{"__proto__": {"polluted": "yes"}}, {"__proto__": []}]',
  '{"__proto__": {"__proto__": {"polluted": "yes"}}, "toString": 1, "hasOwnProperty": 2}',
  '{"__proto__": 1, "__proto__": 2}',
] as const;

/** Invalid UTF-8 sequences of every shape. */
const BAD_UTF8: readonly (readonly number[])[] = [
  [0x80], // lone continuation byte
  [0xbf],
  [0xc0, 0xaf], // overlong '/'
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf], // overlong
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe, 0xff], // a UTF-16 byte-order mark
  [0xe2, 0x82], // truncated sequence
  [0xf0, 0x9f, 0x98], // truncated emoji
  [0xc3], // truncated 2-byte
];

/** Any JSON value, including awkward strings, as text with random whitespace. */
const jsonDoc = fc
  .tuple(
    fc.jsonValue({ maxDepth: 4 }),
    fc.constantFrom(undefined, 0, 1, 2, '\t', ' \r\n'),
    fc.constantFrom('', '\n', ' \n', '\r\n', '\t'),
    fc.constantFrom('', ' ', '\n', '\t\r\n'),
  )
  .map(
    ([value, indent, after, before]) => `${before}${JSON.stringify(value, null, indent)}${after}`,
  );

const unicodeStringDoc = fc
  .string({ unit: 'grapheme', maxLength: 60 })
  .map((s) => JSON.stringify({ s, [s]: [s] }));

/** Valid JSON of every kind. */
const validJson: fc.Arbitrary<ResultCase> = fc
  .oneof(
    jsonDoc,
    unicodeStringDoc,
    fc.constantFrom('true', 'false', 'null', '0', '""', '[]', '{}', '"\\u0000"', '"\\ud800"'),
    fc.double().map((d) => JSON.stringify(d)),
    fc.bigInt().map((b) => b.toString()),
  )
  .map((text) => ({ family: 'valid-json', bytes: enc(text) }));

/** A valid document cut short at a random byte (often invalid UTF-8 or unclosed JSON). */
const truncated: fc.Arbitrary<ResultCase> = fc
  .tuple(fc.oneof(jsonDoc, unicodeStringDoc), fc.nat())
  .map(([text, cut]) => {
    const bytes = enc(text);
    return { family: 'truncated', bytes: bytes.subarray(0, cut % (bytes.length + 1)) };
  });

const randomBytes: fc.Arbitrary<ResultCase> = fc
  .oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ minLength: 4000, maxLength: 4200 }),
    fc.uint8Array({ maxLength: 600 }),
  )
  .map((bytes) => ({ family: 'random-bytes', bytes }));

/** A valid document with an invalid UTF-8 sequence spliced in (inside a string or outside). */
const invalidUtf8: fc.Arbitrary<ResultCase> = fc
  .tuple(fc.oneof(jsonDoc, unicodeStringDoc), fc.constantFrom(...BAD_UTF8), fc.nat(), fc.boolean())
  .map(([text, bad, pos, inString]) => {
    const doc = inString ? JSON.stringify({ s: `${text}@` }) : text;
    const bytes = enc(doc);
    // Inside a string: replace the '@' marker; elsewhere: a random position.
    const at = inString ? bytes.lastIndexOf(0x40) : pos % (bytes.length + 1);
    return {
      family: 'invalid-utf8',
      bytes: concat(bytes.subarray(0, at), Uint8Array.from(bad), bytes.subarray(at + 1)),
    };
  });

const hugeNumbers: fc.Arbitrary<ResultCase> = fc
  .tuple(fc.constantFrom(...HUGE_NUMBERS), fc.constantFrom('%', '[%]', '{"x": %}', '[1, %, 2]'))
  .map(([n, shape]) => ({ family: 'huge-numbers', bytes: enc(shape.replace('%', n)) }));

const deepNesting: fc.Arbitrary<ResultCase> = fc
  .tuple(
    fc.integer({ min: 1, max: 2100 }),
    fc.constantFrom('[]', '{}', 'mixed'),
    fc.integer({ min: -2, max: 2 }),
  )
  .map(([depth, shape, imbalance]) => {
    let open: string;
    let close: string;
    if (shape === '[]') [open, close] = ['['.repeat(depth), ']'.repeat(depth)];
    else if (shape === '{}') [open, close] = ['{"a":'.repeat(depth) + '1', '}'.repeat(depth)];
    else {
      open = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? '[' : '{"k":')).join('');
      close = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? ']' : '}'))
        .reverse()
        .join('');
      open += '0';
    }
    // Unbalanced by a few brackets now and then.
    if (imbalance < 0) close = close.slice(0, close.length + imbalance);
    if (imbalance > 0) close += close.slice(0, imbalance);
    return { family: 'deep-nesting', bytes: enc(open + close) };
  });

const protoKeys: fc.Arbitrary<ResultCase> = fc
  .tuple(fc.constantFrom(...PROTO_DOCS), fc.jsonValue({ maxDepth: 2 }))
  .map(([doc, extra]) => ({
    family: 'proto-keys',
    bytes: enc(`{"__proto__": ${doc}, "x": ${JSON.stringify(extra)}, "y": ${doc}}`),
  }));

const boms: fc.Arbitrary<ResultCase> = fc
  .tuple(
    fc.oneof(jsonDoc, fc.constantFrom('', ' ', '\n', '\t \r\n')),
    fc.constantFrom('bom', 'bom-bom', 'bom-in-middle', 'utf16-bom', 'bom-only'),
  )
  .map(([text, where]) => {
    const body = enc(text);
    const bytes =
      where === 'bom'
        ? concat(BOM_BYTES, body)
        : where === 'bom-bom'
          ? concat(BOM_BYTES, BOM_BYTES, body)
          : where === 'bom-in-middle'
            ? concat(body.subarray(0, 1), BOM_BYTES, body.subarray(1))
            : where === 'utf16-bom'
              ? concat(Uint8Array.of(0xff, 0xfe), body)
              : BOM_BYTES;
    return { family: 'bom', bytes };
  });

const whitespace: fc.Arbitrary<ResultCase> = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\f', '\v', '\u00a0', '\u2028', '\u0000'), {
    maxLength: 40,
  })
  .map((chars) => ({ family: 'whitespace', bytes: enc(chars.join('')) }));

/** Documents padded to sizes around the limit (4096 accepted, 4097 not), with and without BOM. */
const nearLimit: fc.Arbitrary<ResultCase> = fc
  .tuple(
    fc.integer({ min: RESULT_LIMIT_BYTES - 8, max: RESULT_LIMIT_BYTES + 8 }),
    fc.constantFrom('pad-space', 'pad-string', 'multibyte', 'bom'),
  )
  .map(([size, how]) => {
    let bytes: Uint8Array;
    if (how === 'pad-space') bytes = enc(`{"v": 1}${' '.repeat(Math.max(0, size - 8))}`);
    else if (how === 'pad-string') bytes = enc(`"${'x'.repeat(Math.max(0, size - 2))}"`);
    else if (how === 'multibyte') {
      // Three-byte characters: the padding may cut a character in two (then it is malformed).
      const text = `"${'€'.repeat(Math.ceil(size / 3))}"`;
      bytes = enc(text).subarray(0, size - 1);
      bytes = concat(bytes, enc('"'));
    } else bytes = concat(BOM_BYTES, enc(`[${' '.repeat(Math.max(0, size - 5))}]`));
    return { family: 'near-limit', bytes };
  });

/** Valid documents with bytes flipped, inserted or deleted. */
const mutated: fc.Arbitrary<ResultCase> = fc
  .tuple(
    fc.oneof(jsonDoc, fc.constantFrom(...PROTO_DOCS)),
    fc.array(
      fc.tuple(
        fc.constantFrom('flip', 'insert', 'delete'),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  )
  .map(([text, edits]) => {
    let bytes = Buffer.from(text, 'utf8');
    for (const [op, pos, byte] of edits) {
      const at = pos % (bytes.length + 1);
      if (op === 'flip' && at < bytes.length) bytes[at] = byte;
      else if (op === 'insert')
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.of(byte), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    }
    return { family: 'mutated', bytes: new Uint8Array(bytes) };
  });

const missing: fc.Arbitrary<ResultCase> = fc.constant({ family: 'missing', bytes: null });

/** Every family, each with its weight in a mixed sample. */
export const resultCaseFamilies = {
  'valid-json': validJson,
  truncated,
  'random-bytes': randomBytes,
  'invalid-utf8': invalidUtf8,
  'huge-numbers': hugeNumbers,
  'deep-nesting': deepNesting,
  'proto-keys': protoKeys,
  bom: boms,
  whitespace,
  'near-limit': nearLimit,
  mutated,
  missing,
} as const;

/** A mix of every family. */
export const anyResultCase: fc.Arbitrary<ResultCase> = fc.oneof(
  ...Object.values(resultCaseFamilies),
);

/** `count` cases drawn from every family with a fixed seed, so a path check is reproducible. */
export function sampleResultCases(count: number, seed: number): ResultCase[] {
  return fc.sample(anyResultCase, { numRuns: count, seed });
}

// ---------------------------------------------------------------------------------------------
// One backend's real path against the pure decoder.
// ---------------------------------------------------------------------------------------------

/**
 * A backend's real path for result files: runs one job per case whose rank 0 writes the case's
 * bytes to its `result.json` (or writes nothing for a missing file) and succeeds, and returns the
 * outcome the backend recorded for each, in order.
 */
export interface ResultPath {
  readonly name: string;
  readonly run: (cases: readonly ResultCase[]) => Promise<Outcome[]>;
}

/** Runs `cases` through `path` and asserts each recorded outcome equals the pure decoder's. */
export async function checkResultPath(
  path: ResultPath,
  cases: readonly ResultCase[],
): Promise<void> {
  const outcomes = await path.run(cases);
  assert.equal(outcomes.length, cases.length);
  cases.forEach((c, i) => {
    const want = classifyOutcome({ status: 'succeeded', attempt: 0 }, { bytes: c.bytes });
    assert.deepEqual(
      outcomes[i],
      want,
      `${path.name}, case ${i} (${c.family}): ${c.bytes === null ? 'missing' : Buffer.from(c.bytes.subarray(0, 64)).toString('hex')}`,
    );
  });
}
