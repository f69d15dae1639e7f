/**
 * What konduktor tells its users names things that exist: every `konduktor WORD` a message or
 * comment in src/ names is a command of the CLI's table, and the README does not call a working
 * feature unsupported.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS, GROUPS } from '../../src/cli/options.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The first words of every command (`sweep` of `sweep run`). */
const COMMAND_WORDS = new Set(
  [...Object.keys(COMMANDS), ...Object.keys(GROUPS)].map((name) => name.split(' ')[0]),
);

/**
 * `konduktor WORD` used as a command: quoted in code (`` `konduktor stop` ``, `` `konduktor logs
 * JOB` ``, `` `konduktor result ${name}` ``) or followed by an argument placeholder or a flag
 * (`konduktor result JOB`, `konduktor logs --attempt`). Prose such as "konduktor could not read"
 * is neither.
 */
const NAMED =
  /`konduktor ([a-z][a-z-]*)(?=[`\s]|\$\{)(?!\s+[a-z]+\s)|konduktor ([a-z][a-z-]*) (?=[A-Z]{2,}|--)/g;

/** Every command word a text names, with its line. */
function namedCommands(text: string): { word: string; line: string }[] {
  return [...text.matchAll(NAMED)].map((m) => {
    const start = text.lastIndexOf('\n', m.index) + 1;
    const end = text.indexOf('\n', m.index);
    return { word: (m[1] ?? m[2])!, line: text.slice(start, end === -1 ? undefined : end).trim() };
  });
}

describe('messages name real commands', () => {
  it('the matcher finds commands and skips prose', () => {
    const words = (text: string) => namedCommands(text).map((n) => n.word);
    assert.deepEqual(words('by `konduktor cancel` or `stop`'), ['cancel']);
    assert.deepEqual(words('run `konduktor logs JOB --attempt 0`'), ['logs']);
    assert.deepEqual(words('kept: konduktor result JOB'), ['result']);
    assert.deepEqual(words('`konduktor result ${name}`'), ['result']);
    assert.deepEqual(words('`konduktor sweep run` ...'), ['sweep']);
    assert.deepEqual(words('see konduktor kill --all'), ['kill']);
    assert.deepEqual(words('`konduktor hit an unexpected error`'), []);
    assert.deepEqual(words('konduktor could not read the job'), []);
  });

  it('every `konduktor WORD` in src/ is a command of src/cli/options.ts', () => {
    const unknown = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
      namedCommands(readFileSync(file, 'utf8'))
        .filter((n) => !COMMAND_WORDS.has(n.word))
        .map((n) => `${file.slice(ROOT.length + 1)}: ${n.line}`),
    );
    assert.deepEqual(unknown, []);
  });
});

describe('the README does not call working features unsupported', () => {
  it('metrics work on Kubernetes too (docs/metrics.md, "## Kubernetes")', () => {
    assert.match(readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8'), /^## Kubernetes$/m);
    const row = readFileSync(join(ROOT, 'README.md'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('| `konduktor metrics'));
    assert.ok(row, 'the README has a row for `konduktor metrics`');
    assert.doesNotMatch(row, /only for now|local backend only/i);
  });
});
