import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TaskValidationError, formatTaskIssue } from '../../src/errors.js';
import { loadTaskFile } from '../../src/task/load.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bad-tasks');

interface Expectation {
  readonly text: string;
  readonly line?: number;
}

/** Reads the `# expect:` lines (each optionally followed by `# expect-line: N`) at the top. */
function expectations(source: string): Expectation[] {
  const out: { text: string; line?: number }[] = [];
  for (const line of source.split('\n')) {
    const expect = /^# expect: (.+)$/.exec(line);
    const at = /^# expect-line: (\d+)\s*$/.exec(line);
    if (expect?.[1] !== undefined) out.push({ text: expect[1] });
    else if (at?.[1] !== undefined && out.length > 0) out[out.length - 1]!.line = Number(at[1]);
    else if (!line.startsWith('#')) break;
  }
  return out;
}

const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('bad task corpus', () => {
  it('holds at least 50 files named NN-short-name.yaml, each with an expectation', () => {
    assert.ok(files.length >= 50, `only ${files.length} files`);
    for (const file of files) {
      assert.match(file, /^\d{2}-[a-z0-9-]+\.yaml$/);
      const source = readFileSync(join(CORPUS, file), 'utf8');
      assert.ok(source.startsWith('# expect: '), `${file} must start with "# expect: "`);
    }
  });

  for (const file of files) {
    it(file, () => {
      const path = join(CORPUS, file);
      const wanted = expectations(readFileSync(path, 'utf8'));
      assert.ok(wanted.length > 0);
      let error: unknown;
      try {
        loadTaskFile(path);
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof TaskValidationError, `${file}: expected a TaskValidationError`);
      assert.ok(error.issues.length > 0);
      for (const issue of error.issues) {
        assert.equal(issue.file, path);
        assert.ok(issue.message.trim() !== '');
      }
      const lines = error.issues.map(formatTaskIssue);
      for (const { text, line } of wanted) {
        const matching = error.issues.filter((i) => formatTaskIssue(i).includes(text));
        assert.ok(
          matching.length > 0,
          `${file}: no issue contains ${JSON.stringify(text)}:\n${lines.join('\n')}`,
        );
        if (line !== undefined) {
          assert.ok(
            matching.some((i) => i.line === line),
            `${file}: ${JSON.stringify(text)} expected on line ${line}:\n${lines.join('\n')}`,
          );
        }
      }
    });
  }
});
