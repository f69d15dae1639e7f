/**
 * Every file of the bad-task corpus (test/fixtures/bad-tasks/) through the real CLI:
 * `konduktor launch -y --wait FILE` exits 2, prints each expected message (at its line when the
 * file names one) on stderr and nothing on stdout, and launches nothing.
 *
 * Needs `npm run build` (bin/konduktor.js runs dist/).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliResult, ROOT, runCli, tempHome } from '../support/cli.js';

const CORPUS = join(ROOT, 'test', 'fixtures', 'bad-tasks');
/** CLI processes at once: each is a Node start-up, and the machine is shared. */
const PARALLEL = 3;

interface Expectation {
  readonly text: string;
  readonly line?: number;
}

/** The `# expect: TEXT` lines at the top of a corpus file, each with an optional `# expect-line: N`. */
function expectationsOf(source: string): Expectation[] {
  const out: Expectation[] = [];
  for (const line of source.split('\n')) {
    if (!line.startsWith('#')) break;
    const text = /^# expect: (.+)$/.exec(line)?.[1];
    const at = /^# expect-line: (\d+)\s*$/.exec(line)?.[1];
    const last = out.at(-1);
    if (text !== undefined) out.push({ text });
    else if (at !== undefined && last !== undefined)
      out[out.length - 1] = { ...last, line: Number(at) };
  }
  return out;
}

const files = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

describe('the bad-task corpus through `konduktor launch -y --wait`', () => {
  const ctx = tempHome('konduktor-bad-tasks-');
  after(ctx.cleanup);

  // Launched a few at a time up front; each file's own test then checks its result.
  const results = new Map<string, Promise<CliResult>>();
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const started = runCli(['launch', '-y', '--wait', join(CORPUS, file)], {
        home: ctx.home,
        timeoutMs: 60_000,
      });
      results.set(file, started);
      await started;
    }
  };
  const all = Promise.all(Array.from({ length: PARALLEL }, worker));

  it(`holds at least 50 files (${files.length})`, () => {
    assert.ok(files.length >= 50);
  });

  for (const file of files) {
    it(file, async () => {
      const path = join(CORPUS, file);
      const wanted = expectationsOf(readFileSync(path, 'utf8'));
      assert.ok(wanted.length > 0, `${file} has no "# expect:" line`);
      // The worker registers a file's run before awaiting it; wait until this one is registered.
      while (!results.has(file)) await new Promise((resolve) => setTimeout(resolve, 20));
      const result = await results.get(file)!;
      assert.equal(result.code, 2, `${file}: exit ${String(result.code)}\n${result.stderr}`);
      assert.equal(result.stdout, '', `${file}: stdout must stay empty`);
      for (const { text, line } of wanted) {
        const lines = result.stderr.split('\n').filter((l) => l.includes(text));
        assert.ok(lines.length > 0, `${file}: ${JSON.stringify(text)} not in\n${result.stderr}`);
        if (line !== undefined) {
          assert.ok(
            lines.some((l) => l.includes(`${path}:${line}:`)),
            `${file}: ${JSON.stringify(text)} expected at ${path}:${line}:\n${result.stderr}`,
          );
        }
      }
    });
  }

  it('launched nothing: `status --json` is empty and no job directory exists', async () => {
    await all;
    const status = await runCli(['status', '--json'], { home: ctx.home });
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout), []);
    let jobDirs: string[] = [];
    try {
      jobDirs = readdirSync(join(ctx.home, 'jobs'));
    } catch {
      // No home at all: nothing was ever launched.
    }
    assert.deepEqual(jobDirs, []);
  });
});
