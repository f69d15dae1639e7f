/**
 * The queue view goes through the optional `Backend.queue` seam, as `konduktor queue` does, not
 * through the backend's class: a backend that is no `LocalBackend` but keeps a queue shows it (the
 * queued job and why it waits, live), and one without `queue` answers 404 `NO_QUEUE`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/backends/backend.js';
import { LocalBackend } from '../../src/backends/local/local-backend.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { tempHome } from '../support/cli.js';
import { events, request, task } from './support.js';

/**
 * `backend` seen through its `Backend` interface only: another class as far as `instanceof` can
 * tell (as a user's own backend, or a wrapper around one, would be), with or without `queue`.
 */
function throughInterface(backend: LocalBackend, keepQueue: boolean): Backend {
  return new Proxy(backend, {
    getPrototypeOf: () => Object.prototype,
    has: (target, key) => (key === 'queue' ? keepQueue : Reflect.has(target, key)),
    get(target, key) {
      if (key === 'queue' && !keepQueue) return undefined;
      const value: unknown = Reflect.get(target, key, target);
      // Its methods use private fields: they run on the backend itself.
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

interface QueueAnswer {
  capacity: { cpus: number };
  running: number;
  waiting: { name: string; position: number; reason: string }[];
}

describe('the dashboard queue through Backend.queue', () => {
  const tmp = tempHome('konduktor-queue-seam-');
  const capacity = { cpus: 4, memory: 8, gpus: [] };
  let backend: LocalBackend;
  let withQueue: Dashboard;
  let withoutQueue: Dashboard;

  before(async () => {
    backend = new LocalBackend({ home: tmp.home, capacity });
    const wrapped = throughInterface(backend, true);
    assert.ok(!(wrapped instanceof LocalBackend), 'the wrapper must not pass for the class');
    withQueue = await startDashboard({ backend: wrapped, home: tmp.home, port: 0 });
    withoutQueue = await startDashboard({
      backend: throughInterface(backend, false),
      home: tmp.home,
      port: 0,
    });
  });
  after(async () => {
    await withQueue.close();
    await withoutQueue.close();
    await backend.close();
    tmp.cleanup();
  });

  it('shows the queue of a backend of another class that keeps one, and its changes live', async () => {
    const hog = await backend.submit(
      task('hog', 'sleep 60', { resources: { labels: {}, maxRestarts: 0, cpus: 4 } }),
    );
    const waiter = await backend.submit(
      task('waiter', 'true', { resources: { labels: {}, maxRestarts: 0, cpus: 2 } }),
    );
    const stream = await events(`${withQueue.url}api/events?topics=queue`);
    try {
      const answer = await request(`${withQueue.url}api/queue`);
      assert.equal(answer.status, 200, answer.body);
      const queue = answer.json<QueueAnswer>();
      assert.equal(queue.capacity.cpus, 4);
      const entry = queue.waiting.find((w) => w.name === waiter);
      assert.ok(entry, `the waiter is not in the queue: ${answer.body}`);
      assert.equal(entry.position, 1);
      assert.match(entry.reason, /cpu/i);
      // The hog's end lets the waiter run: the live channel sends the queue without it.
      await backend.cancel(hog);
      await stream.next(
        (e) =>
          e.event === 'queue' && !(e.data as QueueAnswer).waiting.some((w) => w.name === waiter),
      );
    } finally {
      stream.close();
      await backend.cancel(hog);
      await backend.cancel(waiter);
    }
  });

  it('answers 404 NO_QUEUE for a backend without a queue, naming it', async () => {
    const answer = await request(`${withoutQueue.url}api/queue`);
    assert.equal(answer.status, 404);
    const error = answer.json<{ error: { code: string; message: string } }>().error;
    assert.equal(error.code, 'NO_QUEUE');
    assert.match(error.message, /keeps no queue of its own/);
    assert.ok(error.message.includes(backend.description), error.message);
  });
});
