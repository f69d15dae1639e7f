/**
 * A small dotenv reader for `--env-file`: `KEY=VALUE` lines, `#` comments, an optional `export `
 * prefix, and single- or double-quoted values. Variables are not expanded: `$HOME` stays as
 * written, as in Docker's `--env-file`.
 *
 * @example
 * ```ts
 * parseDotenv('export A=1\nB="two words" # note\n').entries;
 * // [{ key: 'A', value: '1', line: 1 }, { key: 'B', value: 'two words', line: 2 }]
 * ```
 * @module
 */

/** One assignment read from a dotenv file. */
export interface DotenvEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the assignment. */
  readonly line: number;
}

/** A line of a dotenv file that could not be read. */
export interface DotenvProblem {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  readonly message: string;
}

/** What {@link parseDotenv} found: every assignment in file order and every bad line. */
export interface DotenvResult {
  readonly entries: readonly DotenvEntry[];
  readonly problems: readonly DotenvProblem[];
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  '"': '"',
  $: '$',
};

/**
 * Parses dotenv text. Quoted values may span lines; inside double quotes `\n`, `\r`, `\t`, `\\`,
 * `\"` and `\$` are escapes; single quotes are literal. An unquoted value ends at ` #`.
 *
 * @example
 * ```ts
 * parseDotenv("A='x'\nnot a line\n").problems; // [{ line: 2, col: 1, message: 'expected KEY=VALUE, …' }]
 * ```
 */
export function parseDotenv(text: string): DotenvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    const indent = raw.length - raw.trimStart().length;
    let rest = raw.trimStart();
    if (rest === '' || rest.startsWith('#')) continue;
    let col = indent + 1;
    const exported = /^export\s+/.exec(rest);
    if (exported !== null) {
      rest = rest.slice(exported[0].length);
      col += exported[0].length;
    }
    const assign = /^([^=\s]+)\s*=[ \t]*/.exec(rest);
    if (assign?.[1] === undefined) {
      const bare = /^[A-Za-z_][A-Za-z0-9_]*\s*$/.test(rest);
      problems.push({
        line: lineNo,
        col,
        message: bare
          ? `${rest.trim()} has no value: write ${rest.trim()}=VALUE (or ${rest.trim()}= for an empty string)`
          : `expected KEY=VALUE, got ${JSON.stringify(raw.trim())}`,
      });
      continue;
    }
    const key = assign[1];
    rest = rest.slice(assign[0].length);
    col += assign[0].length;
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") {
      const comment = /\s#/.exec(rest);
      entries.push({
        key,
        value: (comment ? rest.slice(0, comment.index) : rest).trim(),
        line: lineNo,
      });
      continue;
    }
    // A quoted value: scan on, across lines if needed, to the closing quote.
    let value = '';
    let tail = rest.slice(1);
    let j = i;
    let closed = false;
    for (;;) {
      let k = 0;
      while (k < tail.length) {
        const ch = tail[k] ?? '';
        if (ch === quote) {
          closed = true;
          break;
        }
        if (quote === '"' && ch === '\\' && k + 1 < tail.length) {
          const next = tail[k + 1] ?? '';
          value += ESCAPES[next] ?? `\\${next}`;
          k += 2;
          continue;
        }
        value += ch;
        k += 1;
      }
      if (closed) {
        const after = tail.slice(k + 1);
        if (after.trim() !== '' && !after.trim().startsWith('#')) {
          problems.push({
            line: j + 1,
            col: (j === i ? col + 1 : 1) + k + 1,
            message: `unexpected text after the closing ${quote}: ${JSON.stringify(after.trim())}`,
          });
        } else {
          entries.push({ key, value, line: lineNo });
        }
        break;
      }
      if (j + 1 >= lines.length) {
        problems.push({
          line: lineNo,
          col,
          message: `the ${quote} quote opened here is never closed`,
        });
        break;
      }
      j += 1;
      value += '\n';
      tail = lines[j] ?? '';
    }
    i = j;
  }
  return { entries, problems };
}
