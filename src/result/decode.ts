/**
 * The one result decoder: turns the reporter's `result.json` bytes into a classification. Every
 * backend fetches bytes and calls {@link decodeResult}, so a given file is classified the same
 * everywhere.
 * @module
 */

/** The kubelet's termination-message cap, and the limit on every backend. */
export const RESULT_LIMIT_BYTES = 4096;

/** How many bytes of a malformed document are quoted in its error. */
const HEAD_BYTES = 64;

/**
 * What stood at `result.json` when it was not a regular file that could be read. Backends report
 * these facts; {@link describeFound} words them the same for every backend.
 */
export interface FoundInstead {
  /**
   * What it was: `directory`, `fifo` (a named pipe), `socket`, `character-device`,
   * `block-device`, `other` (none of these); `dangling-link` (a symbolic link to nothing),
   * `link-loop` (links that never end), `unreadable` (a regular file whose open or read failed).
   */
  readonly kind:
    | 'directory'
    | 'fifo'
    | 'socket'
    | 'character-device'
    | 'block-device'
    | 'other'
    | 'dangling-link'
    | 'link-loop'
    | 'unreadable';
  /** The target, when `result.json` is a symbolic link. */
  readonly link?: string;
  /** The error of the failed open or read (`unreadable`), e.g. `EACCES: permission denied`. */
  readonly error?: string;
}

/** Why there is no result: no file, an empty one, only whitespace, or something not a file. */
export type NoResultDetail = 'missing' | 'empty' | 'whitespace' | 'not_a_file';

/** What the reporter's file held. */
export type ResultDecoding =
  | { readonly kind: 'value'; readonly text: string; readonly value: unknown }
  | {
      readonly kind: 'none';
      readonly detail: NoResultDetail;
      /** What stood at the path instead of a file (`detail: 'not_a_file'`). */
      readonly found?: FoundInstead;
    }
  | { readonly kind: 'malformed'; readonly parseError: string; readonly head: string }
  | { readonly kind: 'too_large'; readonly size: number; readonly limit: number };

/** The bytes a backend read from the reporter, and the file's true size. */
export interface ReporterFile {
  /**
   * The bytes read, or `null` when the file does not exist. A backend may read only the first
   * `limit + 1` bytes of a larger file.
   */
  readonly bytes: Uint8Array | null;
  /** The file's size in bytes (may exceed `bytes.length`). Defaults to `bytes.length`. */
  readonly size?: number;
  /** Set (with `bytes: null`) when something other than a readable regular file was there. */
  readonly found?: FoundInstead;
}

const BOM = [0xef, 0xbb, 0xbf] as const;
const JSON_WHITESPACE = /^[ \t\n\r]*$/;

/**
 * Classifies the reporter's file.
 *
 * Rules (spec §1.5–1.6): over `limit` bytes is too large (exactly `limit` is fine); missing,
 * empty or JSON-whitespace-only is no result; a leading UTF-8 byte-order mark is dropped; invalid
 * UTF-8 or anything that is not exactly one JSON value is malformed.
 *
 * @example
 * ```ts
 * decodeResult({ bytes: Buffer.from('{"val_loss": 0.42}\n') });
 * // { kind: 'value', text: '{"val_loss": 0.42}\n', value: { val_loss: 0.42 } }
 * ```
 */
export function decodeResult(
  file: ReporterFile,
  limit: number = RESULT_LIMIT_BYTES,
): ResultDecoding {
  const { bytes } = file;
  if (file.found !== undefined) return { kind: 'none', detail: 'not_a_file', found: file.found };
  if (bytes === null) return { kind: 'none', detail: 'missing' };
  const size = file.size ?? bytes.length;
  if (size > limit) return { kind: 'too_large', size, limit };
  if (size === 0) return { kind: 'none', detail: 'empty' };
  const body = hasBom(bytes) ? bytes.subarray(BOM.length) : bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return { kind: 'malformed', parseError: 'the file is not valid UTF-8', head: headOf(body) };
  }
  if (JSON_WHITESPACE.test(text)) return { kind: 'none', detail: 'whitespace' };
  try {
    // JSON.parse builds plain data: a "__proto__" key becomes an own property, never a prototype.
    const value: unknown = JSON.parse(text);
    return { kind: 'value', text, value };
  } catch (err) {
    const parseError = err instanceof Error ? err.message : String(err);
    return {
      kind: 'malformed',
      parseError: parseError + nonJsonNumberHint(text),
      head: headOf(body),
    };
  }
}

const NON_JSON_NUMBERS = /^(?:NaN|-?Infinity)/;

/**
 * A hint when the document would be JSON but for bare `NaN`/`Infinity`, which Python's `json`
 * writes unless told not to; empty otherwise.
 */
function nonJsonNumberHint(text: string): string {
  let found: string | undefined;
  let replaced = '';
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charAt(i);
    if (inString) {
      if (ch === '\\') {
        replaced += text.slice(i, i + 2);
        i += 1;
        continue;
      }
      if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else {
      const token = NON_JSON_NUMBERS.exec(text.slice(i, i + 9))?.[0];
      if (token !== undefined) {
        found ??= token;
        replaced += 'null';
        i += token.length - 1;
        continue;
      }
    }
    replaced += ch;
  }
  if (found === undefined) return '';
  try {
    JSON.parse(replaced);
  } catch {
    return '';
  }
  return (
    `; ${found} is not JSON: Python's json.dumps writes NaN and Infinity unless called with ` +
    "allow_nan=False, and konduktor's report() refuses them (report a string or null instead)"
  );
}

/**
 * The words for what stood at `result.json` instead of a file, e.g. `a directory`,
 * `a symbolic link to "/dev/zero", a character device`.
 */
export function describeFound(found: FoundInstead): string {
  const link = found.link === undefined ? '' : `a symbolic link to ${JSON.stringify(found.link)}`;
  switch (found.kind) {
    case 'dangling-link':
      return `${link || 'a symbolic link'}, which points to nothing`;
    case 'link-loop':
      return `${link || 'a symbolic link'} in a loop of links that never ends`;
    case 'unreadable': {
      const what = link === '' ? 'a file' : `${link}, a file`;
      return `${what} that could not be read${found.error === undefined ? '' : ` (${found.error})`}`;
    }
    default: {
      const what = KIND_WORDS[found.kind];
      return link === '' ? what : `${link}, ${what}`;
    }
  }
}

const KIND_WORDS = {
  directory: 'a directory',
  fifo: 'a named pipe (FIFO)',
  socket: 'a socket',
  'character-device': 'a character device',
  'block-device': 'a block device',
  other: 'not a regular file',
} as const;

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

/** The first bytes as printable text: invalid UTF-8 and control bytes escaped. */
export function headOf(bytes: Uint8Array, max: number = HEAD_BYTES): string {
  const slice = bytes.subarray(0, max);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(slice);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\uFFFD') out += '\\ufffd';
    else if (code < 0x20 && ch !== '\n' && ch !== '\t')
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return bytes.length > max ? `${out}…` : out;
}
