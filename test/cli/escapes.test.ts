/**
 * No process outlives its job, on both supervisors: whatever a job's processes do to leave its
 * process group or session (setsid, a double fork, nohup under job control, a Python daemon, one
 * that ignores SIGTERM), none is left once the job ended by success, failure, cancel, stop or
 * down, and its GPUs are not handed out while one lives. Through the CLI (cancel through the
 * library: the CLI has no cancel command).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { NATIVE_SUPERVISOR, type SupervisorKind } from '../../src/backends/local/launcher.js';
import { runCli, tempHome, writeTask } from '../support/cli.js';
import { sleep } from '../support/common.js';

/** Ways a process leaves its job's process group or session without privileges. */
const ESCAPES = ['setsid', 'double-fork', 'nohup', 'python-daemon'] as const;

/**
 * A run script that starts one `sleep 600` per escape, named `konduktor-escape-$TOKEN-<way>` (its
 * argv[0], so the test finds it by name alone), waits until all are running, touches $READY, and
 * then ends as $ENDING says: `succeed`, `fail`, or `wait` (for a cancel, stop or down).
 */
const ESCAPING_RUN = String.raw`
tag() { printf 'konduktor-escape-%s-%s' "$TOKEN" "$1"; }
setsid bash -c 'exec -a "$0" sleep 600' "$(tag setsid)" </dev/null >/dev/null 2>&1 &
( ( exec -a "$(tag double-fork)" sleep 600 </dev/null >/dev/null 2>&1 & ) & )
set -m
nohup bash -c 'exec -a "$0" sleep 600' "$(tag nohup)" </dev/null >/dev/null 2>&1 &
disown
set +m
python3 -c '
import os, sys
if os.fork(): sys.exit(0)
os.setsid()
if os.fork(): sys.exit(0)
os.execvp("sleep", [sys.argv[1], "600"])
' "$(tag python-daemon)" </dev/null >/dev/null 2>&1
want=4
if [ "$STUBBORN" = 1 ]; then
  setsid bash -c 'trap "" TERM; exec -a "$0" sleep 600' "$(tag ignores-sigterm)" </dev/null >/dev/null 2>&1 &
  want=5
fi
if [ "$SCRUBBED" = 1 ]; then
  setsid env -i bash -c 'exec -a "$0" sleep 600' "$(tag env-scrubbed)" </dev/null >/dev/null 2>&1 &
  want=$((want + 1))
fi
until [ "$(ps -eo args= | grep -c "^konduktor-escape-$TOKEN-")" -ge "$want" ]; do sleep 0.05; done
: > "$READY"
case $ENDING in
  succeed) echo '{"ok": true}' > "$KONDUKTOR_OUTPUT_DIR/result.json" ;;
  fail) exit 3 ;;
  wait) sleep 600 ;;
esac
`;

/** The live (non-zombie) processes whose argv[0] starts with `prefix`, as `pid name`. */
function processesNamed(prefix: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (!name.startsWith(prefix)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push(`${entry} ${name}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The environment of process `pid` as `NAME=VALUE` entries; empty once it has exited. */
function environOf(pid: number | string): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return []; // it exited between the listing and this read
  }
}

/** The live processes whose environment holds `entry` (`NAME=VALUE`). */
function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (!environOf(pid).includes(entry)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) found.push(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Kills what a failed test left behind, so it cannot disturb other tests. */
function killNamed(prefix: string): void {
  for (const line of processesNamed(prefix)) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

async function waitForFile(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > deadline) assert.fail(`${path} did not appear within ${ms} ms`);
    await sleep(50);
  }
}

/** The name the CLI printed for a detached launch. */
function launchedName(stderr: string): string {
  const name = /job (\S+) launched/.exec(stderr)?.[1];
  assert.ok(name !== undefined, stderr);
  return name;
}

/**
 * A home with 2 GPUs and two `A100:2` tasks. The first starts a process named `prefix` (through
 * `detach`, e.g. `setsid `) that ignores SIGTERM, so it is gone only after the grace period
 * (5 s); touches `ready`; then runs `then`. The second reports the GPUs it got and how many
 * processes named `prefix` it saw when it started.
 */
function gpuPair(
  dir: string,
  label: string,
  detach: string,
  then: string,
): { home: string; prefix: string; ready: string; first: string; second: string } {
  const home = join(dir, `${label}-home`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'config.yaml'),
    'local:\n  capacity: { cpus: 8, memory: 16, gpus: 2 }\n',
  );
  const token = randomBytes(4).toString('hex');
  const prefix = `konduktor-gpu-${token}`;
  const ready = join(dir, `${label}-ready-${token}`);
  const first = writeTask(
    dir,
    `${label}-first-${token}.yaml`,
    `name: gpu-held\nresources:\n  accelerators: A100:2\nrun: |\n` +
      `  ${detach}bash -c 'trap "" TERM; exec -a "$0" sleep 601' "${prefix}" </dev/null >/dev/null 2>&1 &\n` +
      `  until [ "$(ps -eo args= | grep -c "^${prefix}")" -ge 1 ]; do sleep 0.05; done\n` +
      `  : > "${ready}"\n  ${then}\n`,
  );
  const second = writeTask(
    dir,
    `${label}-second-${token}.yaml`,
    `name: gpu-next\nresources:\n  accelerators: A100:2\nrun: |\n` +
      `  left=$(ps -eo args= | grep -c "^${prefix}")\n` +
      `  printf '{"gpus": "%s", "left": %s}' "$CUDA_VISIBLE_DEVICES" "$left" > "$KONDUKTOR_OUTPUT_DIR/result.json"\n`,
  );
  return { home, prefix, ready, first, second };
}

const ENDINGS = ['success', 'failure', 'cancel', 'stop', 'down'] as const;

for (const supervisor of ['native', 'bash'] as const satisfies readonly SupervisorKind[]) {
  describe(`no process outlives its job (${supervisor} supervisor)`, () => {
    const ctx = tempHome();
    const env = { KONDUKTOR_SUPERVISOR: supervisor };
    after(ctx.cleanup);

    it('the supervisor under test exists', () => {
      if (supervisor === 'native') assert.ok(existsSync(NATIVE_SUPERVISOR), 'npm run build first');
    });

    for (const ending of ENDINGS) {
      // One case per ending also has a process that ignores SIGTERM (ended by SIGKILL after the
      // grace period); the native supervisor also ends one that replaced its environment.
      const stubborn = ending === 'success' || ending === 'cancel';
      const scrubbed = supervisor === 'native';
      it(
        `after ${ending}: ${[...ESCAPES, ...(stubborn ? ['ignores-sigterm'] : []), ...(scrubbed ? ['env-scrubbed'] : [])].join(', ')}`,
        { timeout: 90_000 },
        async () => {
          const token = randomBytes(4).toString('hex');
          const prefix = `konduktor-escape-${token}-`;
          const ready = join(ctx.dir, `ready-${token}`);
          const task = writeTask(
            ctx.dir,
            `escape-${token}.yaml`,
            `name: escape\nenvs:\n  TOKEN: "${token}"\n  READY: "${ready}"\n` +
              `  ENDING: "${ending === 'success' ? 'succeed' : ending === 'failure' ? 'fail' : 'wait'}"\n` +
              `  STUBBORN: "${stubborn ? 1 : 0}"\n  SCRUBBED: "${scrubbed ? 1 : 0}"\n` +
              `run: |${ESCAPING_RUN.replace(/\n/g, '\n  ')}\n`,
          );
          const expected = ESCAPES.length + (stubborn ? 1 : 0) + (scrubbed ? 1 : 0);
          try {
            if (ending === 'success' || ending === 'failure') {
              const result = await runCli(['launch', '--wait', '-y', task], {
                home: ctx.home,
                env,
                timeoutMs: 80_000,
              });
              if (ending === 'success') {
                assert.equal(result.code, 0, result.stderr);
                assert.equal(result.stdout.trim(), '{"ok": true}');
              } else {
                assert.notEqual(result.code, 0, result.stderr);
                assert.match(result.stderr, /exited with code 3/);
              }
            } else {
              const launched = await runCli(['launch', '-d', '-y', task], { home: ctx.home, env });
              assert.equal(launched.code, 0, launched.stderr);
              const name = launchedName(launched.stderr);
              await waitForFile(ready, 60_000);
              assert.equal(processesNamed(prefix).length, expected, 'every escape is running');
              if (ending === 'cancel') {
                const backend = new LocalBackend({ home: ctx.home, supervisor });
                try {
                  await backend.cancel(name);
                } finally {
                  await backend.close();
                }
              } else {
                const args = ending === 'stop' ? ['stop', name] : ['down', '-y', '--all'];
                const ended = await runCli(args, { home: ctx.home, env, timeoutMs: 60_000 });
                assert.equal(ended.code, 0, ended.stderr);
              }
            }
            // The end is recorded (and the command returns) only once nothing of the job runs.
            assert.deepEqual(processesNamed(prefix), []);
          } finally {
            killNamed(prefix);
          }
        },
      );
    }

    it(
      'a job that holds 2 GPUs keeps them until its escaped process is gone; the next GPU job then gets them',
      { timeout: 90_000 },
      async () => {
        // The escaped process leaves the session, and ignores SIGTERM.
        const { home, prefix, ready, first, second } = gpuPair(
          ctx.dir,
          'gpu',
          'setsid ',
          `sleep 0.2\n  echo '{"a": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
        );
        try {
          const launched = await runCli(['launch', '-d', '-y', first], { home, env });
          assert.equal(launched.code, 0, launched.stderr);
          const name = launchedName(launched.stderr);
          await waitForFile(ready, 60_000);
          const escaped = processesWithEnv(`KONDUKTOR_JOB_NAME=${name}`);
          assert.ok(escaped.length > 0, 'the escaped process runs with the job environment');
          assert.ok(
            escaped.some((pid) => environOf(pid).includes('CUDA_VISIBLE_DEVICES=0,1')),
            'it holds both GPUs',
          );
          const next = await runCli(['launch', '--wait', '-y', second], {
            home,
            env,
            timeoutMs: 80_000,
          });
          assert.equal(next.code, 0, next.stderr);
          assert.deepEqual(JSON.parse(next.stdout), { gpus: '0,1', left: 0 });
          const status = await runCli(['status', '--json', '--all'], { home, env });
          assert.equal(status.code, 0, status.stderr);
          const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
          assert.equal(jobs.find((job) => job.name === name)?.status, 'SUCCEEDED');
          assert.deepEqual(processesWithEnv(`KONDUKTOR_JOB_NAME=${name}`), []);
        } finally {
          killNamed(prefix);
        }
      },
    );

    for (const ending of ['stop', 'down'] as const) {
      it(
        `${ending} of a 2-GPU job while another process waits for its GPUs: they are handed over only once its processes are gone`,
        { timeout: 90_000 },
        async () => {
          const { home, prefix, ready, first, second } = gpuPair(
            ctx.dir,
            `gpu-${ending}`,
            '',
            'sleep 600',
          );
          try {
            const launched = await runCli(['launch', '-d', '-y', first], { home, env });
            assert.equal(launched.code, 0, launched.stderr);
            const name = launchedName(launched.stderr);
            await waitForFile(ready, 60_000);
            const waiting = runCli(['launch', '--wait', '-y', second], {
              home,
              env,
              timeoutMs: 80_000,
            });
            // The second job is queued (and its launcher waits on it) before the first is ended.
            const deadline = Date.now() + 30_000;
            for (;;) {
              const status = await runCli(['status', '--json', '--all'], { home, env });
              const jobs = JSON.parse(status.stdout) as { name: string; reason: string | null }[];
              if (
                jobs.some((job) => /^gpu-next-/.test(job.name) && /queued/.test(job.reason ?? ''))
              ) {
                break;
              }
              assert.ok(Date.now() < deadline, `the second job never queued: ${status.stdout}`);
              await sleep(200);
            }
            const args = ending === 'stop' ? ['stop', name] : ['down', '-y', name];
            const ended = await runCli(args, { home, env, timeoutMs: 60_000 });
            assert.equal(ended.code, 0, ended.stderr);
            assert.deepEqual(processesNamed(prefix), []);
            const next = await waiting;
            assert.equal(next.code, 0, next.stderr);
            assert.deepEqual(JSON.parse(next.stdout), { gpus: '0,1', left: 0 });
            if (ending === 'stop') {
              const status = await runCli(['status', '--json', '--all'], { home, env });
              const jobs = JSON.parse(status.stdout) as { name: string; status: string }[];
              assert.equal(jobs.find((job) => job.name === name)?.status, 'STOPPED');
            }
          } finally {
            killNamed(prefix);
          }
        },
      );
    }
  });
}
