/**
 * Reading a rank's log file by lines: where its last N lines begin (found by reading backwards
 * from the end in chunks, so a tail of a multi-gigabyte log costs what the tail costs), and a
 * forward reader that hands out complete lines as the file grows.
 *
 * A line is what ends with `\n`, plus whatever follows the last `\n` (a line without its final
 * newline). Bytes are decoded as UTF-8 across chunk boundaries.
 * @module
 */
import { readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
// A job can put anything at its log's path: only a regular file is read, opened without blocking.
import { withRegularFile } from './untrusted-file.js';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The byte offset at which the last `lines` lines of the file begin: its size for 0, 0 when the
 * file has no more lines than that (or does not exist).
 */
export function tailOffset(path: string, lines: number): number {
  return (
    withRegularFile(path, (fd, size) => {
      if (lines <= 0) return size;
      const buffer = Buffer.alloc(CHUNK);
      // The newline that ends the last line does not start another one.
      let end = size;
      let needed = lines;
      let position = size;
      while (position > 0) {
        const length = Math.min(CHUNK, position);
        position -= length;
        const n = readSync(fd, buffer, 0, length, position);
        for (let i = n - 1; i >= 0; i -= 1) {
          if (buffer[i] !== NEWLINE) continue;
          const at = position + i;
          if (at === end - 1 && end === size) {
            end = at; // the final newline
            continue;
          }
          needed -= 1;
          if (needed === 0) return at + 1;
        }
      }
      return 0;
    }) ?? 0
  );
}

/** Hands out the lines of a file from an offset on, as it grows. */
export class LogLineReader {
  readonly path: string;
  #offset: number;
  #partial = '';
  /** Characters of the current line dropped past {@link LogLineReader.#keep}. */
  #dropped = 0;
  readonly #keep: number;
  readonly #asShown: boolean;
  readonly #decoder = new StringDecoder('utf8');

  /**
   * @param offset - the byte offset to start at.
   * @param display - `keep`: keep at most this many characters of each line (the rest is
   *   dropped, and the line says how many characters it lost), unlimited by default; `asShown`:
   *   a line rewritten with `\r` (a progress bar) is its last rewrite, as a terminal shows it.
   */
  constructor(
    path: string,
    offset = 0,
    display: { readonly keep?: number; readonly asShown?: boolean } = {},
  ) {
    this.path = path;
    this.#offset = offset;
    this.#keep = display.keep ?? Infinity;
    this.#asShown = display.asShown ?? false;
  }

  /** Every complete line written since the last call. */
  *lines(): Generator<string> {
    for (;;) {
      const chunk = withRegularFile(this.path, (fd) => {
        const buffer = Buffer.alloc(CHUNK);
        const n = readSync(fd, buffer, 0, CHUNK, this.#offset);
        return buffer.subarray(0, n);
      });
      if (chunk === undefined || chunk.length === 0) return;
      this.#offset += chunk.length;
      const parts = (this.#partial + this.#decoder.write(chunk)).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const part of parts) yield this.#finish(part);
      if (this.#asShown) {
        const rewrite = this.#partial.replace(/\r+$/, '').lastIndexOf('\r');
        if (rewrite >= 0) {
          this.#partial = this.#partial.slice(rewrite + 1);
          this.#dropped = 0;
        }
      }
      if (this.#partial.length > this.#keep) {
        this.#dropped += this.#partial.length - this.#keep;
        this.#partial = this.#partial.slice(0, this.#keep);
      }
    }
  }

  #finish(whole: string): string {
    let line = whole;
    let dropped = this.#dropped;
    this.#dropped = 0;
    if (this.#asShown) {
      line = whole.replace(/\r+$/, '');
      const rewrite = line.lastIndexOf('\r');
      if (rewrite >= 0) {
        line = line.slice(rewrite + 1);
        dropped = 0;
      }
    }
    if (line.length > this.#keep) {
      dropped += line.length - this.#keep;
      line = line.slice(0, this.#keep);
    }
    return dropped === 0 ? line : `${line}… (${dropped} more characters)`;
  }

  /** Every line left, including a last one without its newline: for a file nobody writes to now. */
  *rest(): Generator<string> {
    yield* this.lines();
    const last = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (last !== '' || this.#dropped > 0) yield this.#finish(last);
  }
}

/** Options of {@link readLastLines}. */
export interface LastLinesOptions {
  /**
   * Longer lines keep their first this-many characters and say how much was cut: an error
   * message stays readable whatever the job printed.
   * @default 2000
   */
  readonly maxLineLength?: number;
}

/**
 * The last `lines` lines of a log, each shortened to {@link LastLinesOptions.maxLineLength}; a
 * line a progress bar rewrote with `\r` shows what a terminal would show (its last rewrite).
 * Empty when the file does not exist.
 */
export function readLastLines(
  path: string,
  lines: number,
  options: LastLinesOptions = {},
): string[] {
  const reader = new LogLineReader(path, tailOffset(path, lines), {
    keep: options.maxLineLength ?? 2000,
    asShown: true,
  });
  return [...reader.rest()];
}
