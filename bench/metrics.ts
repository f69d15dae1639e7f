/**
 * Metric lines: how long from a job's write of a line to `job.metrics({ follow: true })` yielding
 * it, on the local backend. A job writes 100 lines 50 ms apart, each carrying its write time; the
 * follower notes when it sees each. Run: `node --import tsx bench/metrics.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { launch } from '../src/launch.js';
import { Task } from '../src/task/task.js';
import { percentile } from './stats.js';

const LINES = 100;
const work = mkdtempSync(join(tmpdir(), 'konduktor-bench-metrics-'));
const home = join(work, 'home');
const backend = new LocalBackend({ home });
try {
  const script = [
    'import json, os, time',
    "path = os.path.join(os.environ['KONDUKTOR_OUTPUT_DIR'], 'metrics.jsonl')",
    'time.sleep(1)',
    `for step in range(${LINES}):`,
    "    with open(path, 'a') as f:",
    "        f.write(json.dumps({'step': step, 'written_ms': time.time() * 1000}) + '\\n')",
    '    time.sleep(0.05)',
  ].join('\n');
  const file = join(work, 'writer.py');
  writeFileSync(file, script);
  const job = await launch(new Task({ name: 'metrics-latency', run: `python3 ${file}` }), { home });
  const lags: number[] = [];
  for await (const point of job.metrics({ follow: true, timeout: '120s' })) {
    const written = point.values['written_ms'];
    if (written !== undefined) lags.push(Date.now() - written);
  }
  console.log(
    `write → seen by job.metrics({ follow: true }), local, ${lags.length} lines: ` +
      `p50 ${percentile(lags, 50).toFixed(1)} ms, p95 ${percentile(lags, 95).toFixed(1)} ms, ` +
      `max ${Math.max(...lags).toFixed(1)} ms`,
  );
} finally {
  await backend.close();
  rmSync(work, { recursive: true, force: true });
}
