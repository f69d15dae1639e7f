/**
 * Carrying a job's JSON document inside other JSON without changing a digit. `JSON.parse` turns
 * `12345678901234567891` into `12345678901234567000` and `1e-400` into `0`; so konduktor never
 * re-serializes a parsed result: it splices the document's own text into the envelope.
 *
 * @example
 * ```ts
 * stringifyJson({ job: 'j', value: new RawJson('{"seed": 12345678901234567891}') });
 * // '{"job":"j","value":{"seed":12345678901234567891}}'
 * ```
 * @module
 */

/**
 * A JSON document held as its text, spliced verbatim (less insignificant whitespace) by
 * {@link stringifyJson}. Plain `JSON.stringify` sees the parsed value (digits may change).
 */
export class RawJson {
  /** The document, compacted: no whitespace outside strings. */
  readonly text: string;

  /** @param text one valid JSON document (as `decodeResult` returns it). */
  constructor(text: string) {
    this.text = compactJson(text);
  }

  /** The parsed value, for serializers other than {@link stringifyJson}. */
  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

/**
 * `JSON.stringify(value, null, space)`, except that every {@link RawJson} inside is written as its
 * own text, digit for digit.
 */
export function stringifyJson(value: unknown, space?: number): string {
  const raws: string[] = [];
  // A placeholder no JSON string can hold by accident: a NUL, a per-call nonce and an index.
  const tag = `\u0000konduktor-raw-${Math.random().toString(36).slice(2)}-`;
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, current: unknown): unknown {
      // The holder still has the RawJson; `current` is already its toJSON().
      const original = this[key];
      if (!(original instanceof RawJson)) return current;
      raws.push(original.text);
      return `${tag}${raws.length - 1}`;
    },
    space,
  );
  if (raws.length === 0) return text;
  const quotedTag = JSON.stringify(tag).slice(1, -1);
  return text.replace(
    new RegExp(`"${escapeRegExp(quotedTag)}(\\d+)"`, 'g'),
    (_match, index: string) => raws[Number(index)] ?? 'null',
  );
}

/** A JSON document without whitespace outside its strings: one line, every token as written. */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text.charAt(i + 1);
        i += 1;
      } else if (ch === '"') {
        inString = false;
      }
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') {
      out += ch;
    }
  }
  return out;
}

/**
 * The text of the value at `path` (object keys and array indices) inside a valid JSON document,
 * exactly as written, or `undefined` when there is none. For a number the parse lost (`1e999`).
 */
export function rawValueAt(text: string, path: readonly (string | number)[]): string | undefined {
  const doc = compactJson(text);
  let start = 0;
  for (const segment of path) {
    const open = doc.charAt(start);
    if (open !== '{' && open !== '[') return undefined;
    let i = start + 1;
    let index = 0;
    let found: number | undefined;
    while (i < doc.length && doc.charAt(i) !== '}' && doc.charAt(i) !== ']') {
      let matches: boolean;
      if (open === '{') {
        const keyEnd = valueEnd(doc, i);
        matches = (JSON.parse(doc.slice(i, keyEnd)) as string) === String(segment);
        i = keyEnd + 1; // the colon
      } else {
        matches = String(index) === String(segment);
      }
      // A later duplicate key wins, as in JSON.parse.
      if (matches) found = i;
      i = valueEnd(doc, i);
      if (doc.charAt(i) === ',') i += 1;
      index += 1;
    }
    if (found === undefined) return undefined;
    start = found;
  }
  return doc.slice(start, valueEnd(doc, start));
}

/** Where the value (or key) starting at `start` of a compact, valid document ends. */
function valueEnd(doc: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < doc.length; i += 1) {
    const ch = doc.charAt(i);
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') {
      if (depth === 0) return i;
      depth -= 1;
      if (depth === 0) return i + 1;
    } else if (ch === ',' && depth === 0) return i;
  }
  return doc.length;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
