/**
 * The explicit client (`createKonduktor`) and the top-level functions over the default backends:
 * a backend closed by its user is never handed out again; a client owns and closes its backends.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createKonduktor, getJob, launch, Resources, Task } from '../../src/index.js';
import { tempHome } from '../support/cli.js';

const WAIT = { timeout: '3m' } as const;

function reporting(name: string, value: number): Task {
  return new Task({
    name,
    run: `echo '{"v": ${value}}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
  }).setResources(new Resources({ cpus: 0.5, memory: 0.5 }));
}

describe('launch() after job.backend.close()', () => {
  const { home, cleanup } = tempHome();
  after(cleanup);

  it('gets a fresh backend, not the closed one, and its waits work', async () => {
    const first = await launch(reporting('first', 1), { home, backend: 'local' });
    assert.deepEqual(await first.result(WAIT), { v: 1 });
    await first.backend.close();
    assert.equal(first.backend.closed, true);

    const second = await launch(reporting('second', 2), { home, backend: 'local' });
    assert.notEqual(second.backend, first.backend);
    assert.equal(second.backend.closed, false);
    assert.deepEqual(await second.result(WAIT), { v: 2 });
    // getJob of the first job, from the same process, works as well.
    assert.deepEqual(await (await getJob(first.name, { home, backend: 'local' })).result(WAIT), {
      v: 1,
    });
    await second.backend.close();
  });
});

describe('createKonduktor', () => {
  const { home, cleanup } = tempHome();
  after(cleanup);

  it('launches, re-attaches, and closes the backend it made', async () => {
    const konduktor = createKonduktor({ backend: 'local', home });
    const job = await konduktor.launch(reporting('client', 3), {
      overrides: { env: { X: '1' } },
    });
    assert.deepEqual(await job.result(WAIT), { v: 3 });
    const again = await konduktor.getJob(job.name);
    assert.equal(again.backend, job.backend, 'one client, one backend');
    const outcome = await again.outcome();
    assert.equal(outcome?.kind, 'value');
    assert.deepEqual(outcome.kind === 'value' ? JSON.parse(outcome.text) : undefined, { v: 3 });

    // A second client has backends of its own: closing one client leaves the other working.
    const other = createKonduktor({ backend: 'local', home });
    const otherJob = await other.getJob(job.name);
    assert.notEqual(otherJob.backend, job.backend);

    await konduktor.close();
    assert.equal(job.backend.closed, true);
    await assert.rejects(konduktor.launch(reporting('late', 4)), {
      name: 'StateConflictError',
      code: 'STATE_CONFLICT',
      message: /client was closed/,
    });
    assert.deepEqual(await otherJob.result(WAIT), { v: 3 });
    await other.close();
  });

  it('rebuilds a backend its user closed through a job', async () => {
    const konduktor = createKonduktor({ backend: 'local', home });
    const job = await konduktor.launch(reporting('reopen', 5));
    await job.result(WAIT);
    await job.backend.close();
    const next = await konduktor.launch(reporting('reopen', 6));
    assert.deepEqual(await next.result(WAIT), { v: 6 });
    await konduktor.close();
  });

  it('refuses options it does not know, with a suggestion', () => {
    assert.throws(() => createKonduktor({ namespce: 'x' } as never), {
      code: 'USAGE',
      message: /did you mean 'namespace'/,
    });
  });

  it('leaves a backend instance it was given open: the caller owns it', async () => {
    const owner = createKonduktor({ backend: 'local', home });
    const backend = await owner.backend();
    const borrower = createKonduktor({ backend });
    const job = await borrower.launch(reporting('borrowed', 7));
    await borrower.close();
    assert.equal(backend.closed, false);
    assert.deepEqual(await job.result(WAIT), { v: 7 });
    await owner.close();
  });
});
