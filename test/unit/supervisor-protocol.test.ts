// The golden test of the supervisor protocol (docs/supervisor-protocol.md): both supervisors,
// native/supervise.c and scripts/supervisor.sh, run the same job directories, and the files they
// leave there must be the same, name for name, byte for byte and mode for mode once pids and times
// are normalized. A change to one supervisor's records that the other does not make fails here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { NATIVE_SUPERVISOR } from '../../src/backends/local/launcher.js';
import {
  formatGpus,
  formatLaunch,
  JOB_FILES,
  jobPaths,
  type LaunchParameters,
  parseFinal,
  parseSupervisor,
} from '../../src/backends/local/protocol.js';

const BASH_SUPERVISOR = fileURLToPath(
  new URL('../../src/backends/local/scripts/supervisor.sh', import.meta.url),
);
/** konduktor hands the supervisors bash by absolute path: the native one runs it without a PATH search. */
const BASH = ['/usr/bin/bash', '/bin/bash'].find((path) => existsSync(path)) ?? '/bin/bash';
const supervisors = { native: NATIVE_SUPERVISOR, bash: BASH_SUPERVISOR } as const;
type Kind = keyof typeof supervisors;

const root = mkdtempSync(join(tmpdir(), 'konduktor-protocol-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One job for both supervisors: its scripts and launch parameters. */
interface GoldenJob {
  readonly run: string;
  readonly setup?: string;
  readonly numNodes?: number;
  readonly maxRestarts?: number;
  readonly gpus?: readonly (readonly number[])[];
  /** Runs the ranks' scripts with this instead of bash (a cheap `true` for thousands of ranks). */
  readonly bash?: string;
  /** Cancels the job once rank 0's log holds this text. */
  readonly cancelAfter?: string;
}

/** Writes the job directory as konduktor does before it asks a launcher to start the job. */
function prepare(dir: string, events: string, job: GoldenJob): void {
  const numNodes = job.numNodes ?? 1;
  for (let rank = 0; rank < numNodes; rank += 1) {
    mkdirSync(jobPaths.output(dir, 0, rank), { recursive: true, mode: 0o700 });
    mkdirSync(jobPaths.work(dir, 0, rank), { recursive: true, mode: 0o700 });
  }
  writeFileSync(jobPaths.run(dir), job.run, { mode: 0o600 });
  if (job.setup !== undefined) writeFileSync(jobPaths.setup(dir), job.setup, { mode: 0o600 });
  if (job.gpus !== undefined) writeFileSync(jobPaths.gpus(dir), formatGpus(job.gpus));
  // As konduktor does before a start: the supervisor only touches it, never creates it.
  writeFileSync(join(events, 'job'), '');
  const parameters: LaunchParameters = {
    numNodes,
    maxRestarts: job.maxRestarts ?? 0,
    firstAttempt: 0,
    eventFile: join(events, 'job'),
    graceMs: 1000,
    bash: job.bash ?? BASH,
    umask: '022',
  };
  // Values with spaces, '=' and newlines travel as data; `-` hides an inherited variable.
  const set = { GOLDEN: 'a b=c\nd', PYTHONUNBUFFERED: '1' };
  writeFileSync(jobPaths.launch(dir), formatLaunch(parameters, set, ['GOLDEN_HIDDEN']), {
    mode: 0o600,
  });
}

/** Resolves once `check` holds, re-checking whenever something changes in `watched`. */
async function until(watched: string, check: () => boolean, timeoutMs: number): Promise<void> {
  if (check()) return;
  await new Promise<void>((resolve, reject) => {
    const watcher = watch(watched, () => {
      if (check()) finish();
    });
    // A change the watcher coalesced away is still seen.
    const recheck = setInterval(() => {
      if (check()) finish();
    }, 250);
    const timer = setTimeout(() => {
      finish(new Error(`gave up after ${timeoutMs} ms waiting in ${watched}`));
    }, timeoutMs);
    function finish(error?: Error): void {
      watcher.close();
      clearInterval(recheck);
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    }
  });
}

/** Runs one job under the given supervisor until its final record; returns its directory. */
async function runJob(kind: Kind, label: string, job: GoldenJob): Promise<string> {
  const base = join(root, label, kind);
  const dir = join(base, 'job');
  const events = join(base, 'events');
  mkdirSync(events, { recursive: true });
  prepare(dir, events, job);
  const [command, args] =
    kind === 'native' ? [supervisors.native, []] : ['bash', [supervisors.bash]];
  const launcher = spawn(command, args, {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GOLDEN_HIDDEN: 'seen' },
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  // The launcher ends with its stdin (as after `launch -d`); its supervisors run on.
  launcher.stdin.write(`${dir}\0`);
  let answer = '';
  launcher.stdout.setEncoding('utf8');
  const answered = new Promise<void>((resolve) =>
    launcher.stdout.on('data', (text: string) => {
      answer += text;
      if (answer.endsWith('\n')) resolve();
    }),
  );
  const closed = new Promise((resolve) => launcher.once('close', resolve));
  await answered;
  assert.match(answer, /^[1-9]\d*\n$/, `the ${kind} launcher answers with the supervisor's pid`);
  launcher.stdin.end();
  // Its stdout ends with it, not with the last job: no supervisor keeps the pipe.
  await closed;
  if (job.cancelAfter !== undefined) {
    assert.ok(!existsSync(jobPaths.final(dir)), `the ${kind} launcher's stdout outlived it`);
  }
  const timeout = 120_000;
  if (job.cancelAfter !== undefined) {
    const wanted = job.cancelAfter;
    const log = jobPaths.log(dir, 0, 0);
    // Once the ranks are listed too: a cancel while ranks are still being started is a race.
    const ready = (): boolean =>
      existsSync(jobPaths.pids(dir, 0)) &&
      existsSync(log) &&
      readFileSync(log, 'utf8').includes(wanted);
    await until(dir, ready, timeout);
    const supervisor = parseSupervisor(readFileSync(jobPaths.supervisor(dir), 'utf8'));
    assert.ok(supervisor !== undefined);
    assert.equal(supervisor.pid, Number(answer));
    // As konduktor cancels: SIGTERM to the job's process group, which the supervisor leads.
    process.kill(-supervisor.pid, 'SIGTERM');
  }
  await until(events, () => existsSync(jobPaths.final(dir)), timeout);
  return dir;
}

/**
 * Every file and directory under `dir` as `path mode: content`, pids and times replaced by
 * placeholders. supervisor.log is free-form text for people and is left out.
 */
function snapshot(dir: string): string[] {
  const lines: string[] = [];
  const walk = (relative: string): void => {
    const path = join(dir, relative);
    for (const entry of readdirSync(path).sort()) {
      const child = relative === '' ? entry : `${relative}/${entry}`;
      if (child === JOB_FILES.supervisorLog) continue;
      const stat = lstatSync(join(dir, child));
      const mode = (stat.mode & 0o777).toString(8);
      if (stat.isDirectory()) {
        lines.push(`${child}/ ${mode}`);
        walk(child);
      } else {
        lines.push(
          `${child} ${mode}: ${normalize(child, readFileSync(join(dir, child), 'utf8'), dir)}`,
        );
      }
    }
  };
  walk('');
  return lines;
}

function normalize(file: string, text: string, dir: string): string {
  // The job directory, and the events directory beside it, differ per supervisor.
  let out = text.replaceAll(dirname(dir), '<base>');
  if (file === JOB_FILES.supervisor) out = out.replace(/^\d+ \d+ \d+\n$/, '<pid> <start> <ms>\n');
  if (file === JOB_FILES.final) out = out.replace(/ ended=\d+\n$/, ' ended=<ms>\n');
  if (file.endsWith('/pids')) out = out.replace(/\d+/g, '<pid>');
  return JSON.stringify(out);
}

/** Runs `job` under both supervisors and asserts they left the same files. */
async function golden(label: string, job: GoldenJob): Promise<string[]> {
  const native = await runJob('native', label, job);
  const bash = await runJob('bash', label, job);
  const expected = snapshot(native);
  assert.deepEqual(snapshot(bash), expected);
  return expected;
}

const report = `echo "rank $RANK of attempt $RESTART_ATTEMPT index $JOB_COMPLETION_INDEX"
printf 'golden=%s hidden=%s cuda=%s\\n' "$GOLDEN" "\${GOLDEN_HIDDEN-unset}" "\${CUDA_VISIBLE_DEVICES-unset}"
echo "in $PWD out $KONDUKTOR_OUTPUT_DIR"
`;

void describe('the supervisor protocol: both supervisors write the same files', () => {
  it('is run against a built native supervisor', () => {
    assert.ok(existsSync(NATIVE_SUPERVISOR), `${NATIVE_SUPERVISOR} is missing: run npm run build`);
  });

  it('success', async () => {
    const files = await golden('success', {
      run: `${report}echo '{"loss": 0.5}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
    });
    assert.ok(
      files.includes('final 600: "status=succeeded attempt=0 ended=<ms>\\n"'),
      files.join('\n'),
    );
    assert.ok(files.includes('attempt-0/rank-0/output/result.json 644: "{\\"loss\\": 0.5}\\n"'));
    assert.ok(files.includes('supervisor 600: "<pid> <start> <ms>\\n"'));
    assert.ok(
      !files.some((line) => line.startsWith('attempt ')),
      'no attempt record without a restart',
    );
  });

  it('failure with a restart', async () => {
    const files = await golden('restart', { run: `${report}exit 3`, maxRestarts: 1 });
    assert.ok(files.includes('attempt 600: "1\\n"'), files.join('\n'));
    assert.ok(files.includes('final 600: "status=failed attempt=1 rank=0 wait=3 ended=<ms>\\n"'));
    assert.ok(
      files.some((line) => line.startsWith('attempt-1/rank-0/log 600: "rank 0 of attempt 1')),
    );
  });

  it('setup, and a failed setup', async () => {
    const ok = await golden('setup', { setup: 'echo preparing', run: report });
    assert.ok(ok.includes('attempt-0/rank-0/exit 600: "run\\n"'), ok.join('\n'));
    const failed = await golden('setup-failed', { setup: 'echo no; exit 4', run: report });
    assert.ok(failed.includes('attempt-0/rank-0/exit 600: "setup 4\\n"'), failed.join('\n'));
    assert.ok(failed.includes('final 600: "status=failed attempt=0 rank=0 wait=4 ended=<ms>\\n"'));
  });

  it('several ranks, one failing, with GPUs', async () => {
    const files = await golden('ranks', {
      // Rank 1 fails once the others have written their lines: the logs are the same each run.
      run: `${report}if [ "$RANK" = 1 ]; then
  for r in 0 2; do until grep -qs '^in ' "$KONDUKTOR_OUTPUT_DIR/../../rank-$r/log"; do sleep 0.05; done; done
  exit 5
fi
exec sleep 60`,
      numNodes: 3,
      gpus: [[0], [1, 2], []],
    });
    assert.ok(
      files.includes('final 600: "status=failed attempt=0 rank=1 wait=5 ended=<ms>\\n"'),
      files.join('\n'),
    );
    assert.ok(files.includes('attempt-0/pids 600: "<pid> <pid> <pid>\\n"'));
    assert.ok(files.some((line) => line.includes('cuda=1,2')));
  });

  it('cancel', async () => {
    const files = await golden('cancel', {
      run: `${report}echo ready; exec sleep 60`,
      cancelAfter: 'ready',
    });
    assert.ok(
      files.includes('final 600: "status=cancelled attempt=0 ended=<ms>\\n"'),
      files.join('\n'),
    );
  });

  it('more than 4096 ranks: both run every one', async () => {
    const numNodes = 4097;
    const files = await golden('many', { run: 'exit 0', numNodes, bash: '/bin/true' });
    assert.ok(files.includes('final 600: "status=succeeded attempt=0 ended=<ms>\\n"'));
    const pids = files.find((line) => line.startsWith('attempt-0/pids '));
    assert.equal(pids?.split('<pid>').length, numNodes + 1);
    assert.ok(files.includes(`attempt-0/rank-${numNodes - 1}/log 600: ""`));
    for (const kind of ['native', 'bash'] as const) {
      const final = parseFinal(readFileSync(join(root, 'many', kind, 'job', 'final'), 'utf8'));
      assert.equal(final.status, 'succeeded', kind);
    }
  });
});
