/**
 * Metric lines on Kubernetes travel in the container log: the real container script (what every
 * pod runs) copies rank 0's metrics.jsonl into its output behind markers, and the log reader takes
 * them out again. Run here outside a cluster, the script's output is the container log; the job's
 * own output must read back exactly as it wrote it, its exit status and result must be untouched,
 * and the pod must still end at once. test/k8s/metrics.test.ts runs it on the cluster.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CONTAINER_SCRIPT } from '../../src/backends/kubernetes/container-script.js';
import {
  jobLines,
  METRIC_MARKER,
  PodLogDemux,
} from '../../src/backends/kubernetes/metric-markers.js';
import { MetricLineCounter } from '../../src/metrics/line.js';

const dir = mkdtempSync(join(tmpdir(), 'konduktor-forwarding-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  signal: string | null;
  ms: number;
  log: string[];
  message: string;
}

let runs = 0;
/** Runs the container script as `rank` with `run`; stdout and stderr into one file, as a log. */
async function runScript(
  run: string,
  options: { rank?: number; signalAfterMs?: number } = {},
): Promise<Ran> {
  runs += 1;
  const out = join(dir, `out-${runs}`);
  mkdirSync(out);
  const termination = join(dir, `term-${runs}`);
  const logPath = join(dir, `log-${runs}`);
  const fd = openSync(logPath, 'w');
  const started = Date.now();
  const child = spawn('bash', ['-c', CONTAINER_SCRIPT, 'konduktor'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      KONDUKTOR_OUTPUT_DIR: out,
      RANK: String(options.rank ?? 0),
      _KONDUKTOR_RUN: run,
      _KONDUKTOR_RESULT_LIMIT: '4096',
      _KONDUKTOR_TERMINATION_FILE: termination,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (options.signalAfterMs !== undefined) {
    const at = options.signalAfterMs;
    setTimeout(() => child.kill('SIGTERM'), at);
  }
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (c, s) => {
      clearTimeout(timer);
      resolve([c, s]);
    });
  });
  const text = readFileSync(logPath, 'utf8');
  const log = text.split('\n');
  if (log.at(-1) === '') log.pop();
  let message = '';
  try {
    message = readFileSync(termination, 'utf8');
  } catch {
    // no message written
  }
  return { code, signal, ms: Date.now() - started, log, message };
}

/** The metric points and warnings a log holds, as the Kubernetes reader makes them. */
function metricsOf(log: readonly string[]): { points: unknown[]; warnings: string[] } {
  const demux = new PodLogDemux();
  const counter = new MetricLineCounter(0);
  const points: unknown[] = [];
  const warnings: string[] = [];
  for (const line of log) {
    for (const entry of demux.take(line)) {
      if (entry.kind !== 'metric') continue;
      if (entry.text === undefined) {
        warnings.push(`${counter.over().line}: over`);
        continue;
      }
      const taken = counter.take(entry.text);
      if (taken === undefined) continue;
      if ('point' in taken) points.push({ step: taken.point.step, values: taken.point.values });
      else warnings.push(`${taken.warning.line}: ${taken.warning.reason}`);
    }
  }
  return { points, warnings };
}

const M = '"$KONDUKTOR_OUTPUT_DIR/metrics.jsonl"';

describe('metric lines through the container script', () => {
  it('copies every line of rank 0, keeps the job output, exit status and result as they were', async () => {
    const run = [
      // A part of a line on stdout, then a metric line: the marker lands after it.
      `printf 'epoch 0 '`,
      `echo '{"step": 0, "loss": 1}' >> ${M}`,
      'sleep 0.5',
      `echo 'done'`,
      `echo '' >> ${M}`,
      `echo 'not json' >> ${M}`,
      `head -c 5000 /dev/zero | tr '\\0' x >> ${M}; echo >> ${M}`,
      `echo '{"step": 1, "loss": 1e999}' >> ${M}`,
      `echo 'to stderr' >&2`,
      `echo '{"step": 2, "loss": 0.5}' >> ${M}`,
      `printf '{"step": 3, "loss": 0.25}' >> ${M}`,
      `printf '{"ok": true}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      'exit 3',
    ].join('\n');
    const ran = await runScript(run);
    assert.equal(ran.code, 3);
    assert.equal(ran.message, '{"ok": true}');
    assert.deepEqual(jobLines(ran.log), ['epoch 0 done', 'to stderr']);
    const { points, warnings } = metricsOf(ran.log);
    assert.deepEqual(points, [
      { step: 0, values: { loss: 1 } },
      { step: 2, values: { loss: 0.5 } },
      // No newline, but the job ended: complete.
      { step: 3, values: { loss: 0.25 } },
    ]);
    // Line numbers as in the file: the blank line 2 is skipped silently.
    assert.deepEqual(warnings, [
      '3: not JSON: not json',
      '4: over',
      '5: "loss" is not a finite number: 1e999',
    ]);
    // The 5000-byte line never travelled.
    assert.ok(ran.log.every((line) => line.length < 4200));
  });

  it('copies a line while the job runs, within the 0.2 s nap', async () => {
    const run = [`echo '{"step": 0}' >> ${M}`, 'sleep 3'].join('\n');
    const started = Date.now();
    const child = runScript(run);
    // The log file is read as it grows.
    const logPath = join(dir, `log-${runs}`);
    let seenAt: number | undefined;
    while (seenAt === undefined && Date.now() - started < 2900) {
      if (readFileSync(logPath, 'utf8').includes(METRIC_MARKER)) seenAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ran = await child;
    assert.equal(ran.code, 0);
    assert.ok(seenAt !== undefined, 'the line was copied before the job ended');
    assert.ok(seenAt - started < 2000, `copied ${seenAt - started} ms after the start`);
    assert.equal(metricsOf(ran.log).points.length, 1);
  });

  it('ends at once on SIGTERM with 143, after copying what was written', async () => {
    const run = [
      `for i in $(seq 0 1000); do echo "{\\"step\\": $i}" >> ${M}; sleep 0.05; done`,
    ].join('\n');
    const ran = await runScript(run, { signalAfterMs: 1500 });
    assert.equal(ran.code, 143);
    assert.ok(ran.ms < 1500 + 3000, `ended ${ran.ms} ms after the start`);
    const { points } = metricsOf(ran.log);
    assert.ok(points.length >= 5, `${points.length} points copied`);
    assert.deepEqual(
      points.map((p) => (p as { step: number }).step),
      points.map((_, i) => i),
    );
  });

  for (const [what, plant] of [
    ['a directory', `mkdir ${M}`],
    ['a named pipe', `mkfifo ${M}`],
    ['a link to /dev/zero', `ln -s /dev/zero ${M}`],
  ] as const) {
    it(`never opens ${what} at metrics.jsonl, and the pod ends at once`, async () => {
      const ran = await runScript(
        `${plant}\nsleep 0.5\necho '{}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
      );
      assert.equal(ran.code, 0);
      assert.equal(ran.message, '{}\n');
      assert.ok(ran.ms < 5000, `ended after ${ran.ms} ms`);
      assert.deepEqual(metricsOf(ran.log).points, []);
    });
  }

  it('copies nothing on other ranks; a marker a job prints is a metric of its own', async () => {
    const forged = `printf '%s\\n' "$(printf '\\036konduktor:metric:{"step": 7}')"`;
    const rank1 = await runScript(`echo '{"step": 0}' >> ${M}\n${forged}\necho hi`, { rank: 1 });
    assert.equal(rank1.code, 0);
    // Rank 1's file is not copied; its printed marker is hidden from its log, never counted
    // (only rank 0's log is read for metrics).
    assert.deepEqual(jobLines(rank1.log), ['hi']);
    assert.deepEqual(metricsOf(rank1.log).points, [{ step: 7, values: {} }]);
    const rank0 = await runScript(`${forged}\necho hi`);
    // On rank 0 it counts like a line appended to metrics.jsonl: the job could do that anyway.
    assert.deepEqual(metricsOf(rank0.log).points, [{ step: 7, values: {} }]);
    assert.deepEqual(jobLines(rank0.log), ['hi']);
  });
});

describe('PodLogDemux', () => {
  it('joins the parts of a job line that several marker lines cut', () => {
    const demux = new PodLogDemux();
    const entries = [
      `abc${METRIC_MARKER}{"step": 1}`,
      `def${METRIC_MARKER}{"step": 2}`,
      `${METRIC_MARKER}{"step": 3}`,
      'ghi',
      `tail${METRIC_MARKER}{"step": 4}`,
    ].flatMap((line) => demux.take(line));
    entries.push(...demux.end());
    assert.deepEqual(
      entries.filter((e) => e.kind === 'log').map((e) => e.text),
      ['abcdefghi', 'tail'],
    );
    assert.equal(entries.filter((e) => e.kind === 'metric').length, 4);
  });

  it('leaves lines that only look like markers to the job', () => {
    assert.deepEqual(jobLines(['\x1ekonduktor:metricx', 'konduktor:metric:{}']), [
      '\x1ekonduktor:metricx',
      'konduktor:metric:{}',
    ]);
  });
});
