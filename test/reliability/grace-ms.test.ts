/**
 * `graceMs` is honoured in milliseconds by both supervisors (it was rounded up to whole seconds,
 * at least 1): the launch record carries it exactly, and a rank that ignores SIGTERM is killed
 * after the grace period, not before it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalBackend, Resources, Task, launch } from '../../src/index.js';
import { NATIVE_SUPERVISOR, type SupervisorKind } from '../../src/backends/local/launcher.js';
import { tempHome } from '../support/cli.js';

const kinds: SupervisorKind[] = existsSync(NATIVE_SUPERVISOR) ? ['native', 'bash'] : ['bash'];

/** The `launch` record of a job, wherever its directory is under the home. */
function launchRecord(home: string, name: string): string[] {
  const find = (dir: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === name && existsSync(join(path, 'launch'))) return join(path, 'launch');
        const found = find(path);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  const file = find(home);
  assert.ok(file !== undefined, `no launch record of ${name} under ${home}`);
  return readFileSync(file, 'utf8').split('\0');
}

for (const kind of kinds) {
  describe(`graceMs in milliseconds (${kind} supervisor)`, () => {
    const { home, cleanup } = tempHome();
    after(cleanup);

    it('reaches the supervisor exactly, and a rank ignoring SIGTERM is killed after it', async () => {
      for (const graceMs of [250, 1500]) {
        const backend = new LocalBackend({ home, graceMs, supervisor: kind });
        try {
          const task = new Task({
            name: `grace-${graceMs}`,
            run: `trap '' TERM; echo up; while :; do sleep 0.1; done`,
          }).setResources(new Resources({ cpus: 0.5, memory: 0.5 }));
          const job = await launch(task, { backend });
          assert.ok(launchRecord(home, job.name).includes(`p:grace_ms=${graceMs}`));
          for await (const line of job.logs({ follow: true })) if (line === 'up') break;
          const started = Date.now();
          await job.cancel();
          assert.equal(await job.status(), 'CANCELLED');
          const elapsed = Date.now() - started;
          // Only a lower bound: an upper one would fail on a loaded machine.
          assert.ok(elapsed >= graceMs - 50, `killed after ${elapsed} ms, before ${graceMs} ms`);
          console.log(`${kind}: graceMs ${graceMs} -> rank ended ${elapsed} ms after cancel`);
        } finally {
          await backend.close();
        }
      }
    });
  });
}
