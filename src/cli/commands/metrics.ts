/**
 * `konduktor metrics JOB`.
 * @module
 */
import { Job } from '../../job/job.js';
import type { MetricPoint, MetricWarning } from '../../metrics/line.js';
import type { ExitCode } from '../exit-codes.js';
import { readFollowing } from '../held.js';
import { info, out } from '../output.js';
import { integerOption } from './common.js';
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';

/** A point as `--json` prints it. */
function pointJson(point: MetricPoint): Record<string, unknown> {
  return {
    step: point.step,
    values: point.values,
    // Absent when not known (a local line read after it was written): never the time of this read.
    ...(point.time === undefined ? {} : { time: point.time.toISOString() }),
    attempt: point.attempt,
  };
}

/** `step 3  val_loss=0.51  acc=0.9`. */
function pointText(point: MetricPoint): string {
  const values = Object.entries(point.values).map(([key, value]) => `${key}=${String(value)}`);
  return [`step ${point.step}`, ...values].join('  ');
}

function warningText(name: string, warning: MetricWarning): string {
  return (
    `warning: skipped line ${warning.line} of metrics.jsonl of job ${name} ` +
    `(attempt ${warning.attempt}): ${warning.reason}`
  );
}

function noMetricsText(name: string, attempt: number | undefined): string {
  const which = attempt === undefined ? '' : ` (attempt ${attempt})`;
  return (
    `no metrics recorded for ${name}${which} yet: a job records them by appending JSON lines ` +
    `such as {"step": 3, "loss": 0.5} to $KONDUKTOR_OUTPUT_DIR/metrics.jsonl ` +
    `(or reportMetrics / konduktor.report_metrics; docs/metrics.md)`
  );
}

/** Runs `metrics` and returns the exit code. */
export async function runMetrics(name: string, options: OptionsOf<'metrics'>): Promise<ExitCode> {
  const attempt = integerOption(options.attempt, '--attempt');
  const follow = options.follow === true;
  const json = options.json === true;
  const backend = await backendFromFlags(options);
  const job = new Job(name, backend);
  const collected: Record<string, unknown>[] = [];
  let points = 0;
  return readFollowing(job, follow, `konduktor metrics -f ${name}`, async (signal) => {
    for await (const point of job.metrics({
      follow,
      signal,
      onWarning: (warning) => {
        info(warningText(name, warning));
      },
      ...(attempt === undefined ? {} : { attempt }),
    })) {
      points += 1;
      // Without -f, --json is one array; following, each point is printed as it arrives.
      if (json && !follow) collected.push(pointJson(point));
      else out(json ? JSON.stringify(pointJson(point)) : pointText(point));
    }
    if (json && !follow) out(JSON.stringify(collected, null, 2));
    // An empty listing alone looks like a failure to read: say why it is empty (stderr, so
    // stdout stays data).
    if (points === 0) info(noMetricsText(name, attempt));
  });
}
