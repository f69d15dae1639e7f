// Lifecycle of the local cluster: `up` on a running cluster is a no-op, `down` leaves no
// process, mount, network namespace or cgroup behind, and a warm `up` brings it back.
// It stops and restarts the cluster, so it only runs when asked for, after the rest of the
// Kubernetes suite: KONDUKTOR_TEST_CLUSTER_LIFECYCLE=1 (needs root, like up.sh/down.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, kubeconfigPath } from './cluster.js';

const enabled = process.env['KONDUKTOR_TEST_CLUSTER_LIFECYCLE'] === '1';
const scripts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'cluster');
const pidDir = join(homedir(), '.cache', 'konduktor', 'cluster', 'pids');
const STATE_DIRS = ['/var/lib/konduktor-k8s', '/run/konduktor-k8s', '/run/netns/konduktor-k8s'];
// host paths that components hard-code and up.sh created (it lists them for down.sh)
const createdDirsFile = join(homedir(), '.cache', 'konduktor', 'cluster', 'created-dirs');
const API_PORT = Number(process.env['KONDUKTOR_API_PORT'] ?? '16443');
let withKueue = false; // restart the cluster the way it was started

function run(script: string, ...args: string[]): string {
  return execFileSync('bash', [join(scripts, script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
}

function recordedPids(): Map<string, number> {
  const m = new Map<string, number>();
  if (!existsSync(pidDir)) return m;
  for (const f of readdirSync(pidDir)) {
    if (f.endsWith('.pid')) m.set(f.slice(0, -4), Number(readFileSync(join(pidDir, f), 'utf8')));
  }
  return m;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      resolve(false);
    });
  });
}

void describe(
  'local cluster lifecycle',
  { skip: !enabled && 'set KONDUKTOR_TEST_CLUSTER_LIFECYCLE=1' },
  () => {
    void test('up on a running cluster is a no-op', () => {
      const before = recordedPids();
      assert.ok(
        before.size >= 8,
        `expected a running cluster, pids: ${[...before.keys()].join(',')}`,
      );
      const out = run('up.sh', '--no-build').trim().split('\n');
      assert.equal(out.at(-1), kubeconfigPath());
      assert.deepEqual(recordedPids(), before);
    });

    void test('down leaves no process, mount, netns or cgroup behind', async () => {
      const pids = recordedPids();
      withKueue = pids.has('kueue');
      const created = existsSync(createdDirsFile)
        ? readFileSync(createdDirsFile, 'utf8').split('\n').filter(Boolean)
        : [];
      run('down.sh');
      for (const [name, pid] of pids)
        assert.equal(alive(pid), false, `${name} (${pid}) still alive`);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .filter((m) => STATE_DIRS.some((d) => m === d || m.startsWith(d + '/')));
      assert.deepEqual(mounts, []);
      for (const d of STATE_DIRS) assert.equal(existsSync(d), false, `${d} still exists`);
      for (const d of created) assert.equal(existsSync(d), false, `${d} still exists`);
      assert.doesNotMatch(
        execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }),
        /konduktor-k8s/,
      );
      for (const h of readdirSync('/sys/fs/cgroup')) {
        assert.equal(
          existsSync(join('/sys/fs/cgroup', h, 'kubepods')),
          false,
          `cgroup ${h}/kubepods`,
        );
      }
      const shims = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('/run/konduktor-k8s/');
          } catch {
            return false;
          }
        });
      assert.deepEqual(shims, []);
      assert.equal(await portOpen(API_PORT), false);
    });

    void test('a warm up brings the cluster back', async () => {
      const t0 = Date.now();
      const args = withKueue ? ['--no-build', '--kueue'] : ['--no-build'];
      const out = run('up.sh', ...args)
        .trim()
        .split('\n');
      const secs = (Date.now() - t0) / 1000;
      console.log(`warm up took ${secs.toFixed(1)} s`);
      assert.equal(out.at(-1), kubeconfigPath());
      const nodes = await connect().core.listNode();
      assert.equal(
        nodes.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
        'True',
      );
    });
  },
);
