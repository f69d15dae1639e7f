/**
 * Stores filled for the benchmarks.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Store } from '../src/backends/local/store.js';
import type { TaskSpec } from '../src/task/types.js';

/** A task whose job writes `{"v": 1}`. */
export const trivial = (name: string): TaskSpec => ({
  name,
  run: `echo '{"v": 1}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
  envs: {},
  numNodes: 1,
  fileMounts: {},
  resources: { labels: {}, maxRestarts: 0 },
});

/**
 * Creates a home whose store holds `count` ended jobs (`st-0000`…, one a second, newest first),
 * as admission, the launcher and the end of each would have left them.
 */
export function storeWithEndedJobs(home: string, count: number): void {
  new LocalBackend({ home }); // creates the home with its permissions
  const store = new Store(join(home, 'state.db'));
  const now = Date.now();
  const spec = JSON.stringify(trivial('st'));
  const name = (i: number): string => `st-${i.toString(16).padStart(4, '0')}`;
  for (let i = 0; i < count; i += 1) {
    store.insert({
      name: name(i),
      spec,
      numNodes: 1,
      resources: '1x(1CPU, 1GiB)',
      submittedAt: now - i * 1000,
    });
  }
  // As admission would have left them: admitted (no GPUs), then started, then ended.
  const raw = new Database(join(home, 'state.db'));
  raw.prepare("UPDATE jobs SET allocation = '[[]]', admitted_at = submitted_at").run();
  raw.close();
  for (let i = 0; i < count; i += 1) {
    store.markStarted(name(i), 1, 'x', now - i * 1000 + 10);
    store.recordEnd(name(i), {
      status: 'SUCCEEDED',
      endedAt: now - i * 1000 + 500,
      attempt: 0,
      outcome: { kind: 'value', attempt: 0, text: '{"v": 1}\n' },
    });
  }
  store.close();
}
