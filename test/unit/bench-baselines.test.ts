/**
 * The benchmarks' baselines on a machine that lacks them: a missing GNU parallel or Ray is
 * reported with the command that prepares it, never a crash (bench/baselines.ts).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  findGnuParallel,
  prepareGnuParallel,
  prepareRay,
  skipLine,
} from '../../bench/baselines.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-baselines-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A directory holding one executable `name` that prints `output`. */
function pathWith(name: string, output: string): string {
  const bin = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(bin, name), `#!/bin/sh\necho '${output}'\n`);
  chmodSync(join(bin, name), 0o755);
  return bin;
}

const empty = join(dir, 'empty');
mkdirSync(empty);
const log = (): void => undefined;

describe('GNU parallel as a baseline', () => {
  it('is missing, with the command that installs it, when PATH lacks it', () => {
    const found = findGnuParallel(empty);
    assert.ok(!found.ok);
    assert.equal(found.missing.reason, 'no parallel on PATH');
    assert.match(found.missing.prepare, /^apt-get install -y parallel/);
    assert.equal(
      skipLine(found.missing),
      `skipped GNU parallel: no parallel on PATH; prepare it with: ${found.missing.prepare}`,
    );
  });

  it("is not moreutils' parallel", () => {
    const found = findGnuParallel(pathWith('parallel', 'parallel: invalid option -- -'));
    assert.ok(!found.ok);
    assert.match(found.missing.reason, /is not GNU parallel/);
  });

  it('is found with its version', () => {
    const found = findGnuParallel(pathWith('parallel', 'GNU parallel 20221122'));
    assert.deepEqual(found.ok && found.version, '20221122');
  });

  it('is skipped, not installed, with --no-prepare or where apt-get cannot run', () => {
    const asked = prepareGnuParallel({ install: false, log, path: empty });
    assert.ok(!asked.ok && asked.missing.reason === 'no parallel on PATH');
    const cannot = prepareGnuParallel({ install: true, log, path: empty });
    assert.ok(!cannot.ok);
    assert.match(
      cannot.missing.reason,
      /no parallel on PATH \((no apt-get here|installing needs root)\)/,
    );
  });
});

describe('Ray as a baseline', () => {
  const venv = join(dir, 'ray-venv');

  it('is missing, naming the venv and the pip command, when not to be prepared', () => {
    const found = prepareRay({ install: false, log, venv });
    assert.ok(!found.ok);
    assert.equal(found.missing.reason, `no Ray venv at ${venv}`);
    assert.equal(
      found.missing.prepare,
      `python3 -m venv ${venv} && ${join(venv, 'bin', 'python')} -m pip install ray`,
    );
  });

  it('is missing, saying why, when there is no python3 to make the venv', () => {
    const found = prepareRay({ install: true, log, venv, path: empty });
    assert.ok(!found.ok);
    assert.match(found.missing.reason, /no python3 on PATH to make one/);
  });

  it('is missing when the venv exists but cannot import ray', () => {
    const broken = join(dir, 'broken-venv');
    mkdirSync(join(broken, 'bin'), { recursive: true });
    writeFileSync(join(broken, 'bin', 'python'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(broken, 'bin', 'python'), 0o755);
    const found = prepareRay({ install: false, log, venv: broken });
    assert.ok(!found.ok);
    assert.match(found.missing.reason, /cannot import ray/);
  });
});
