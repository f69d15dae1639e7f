/**
 * `konduktor queue`: the local capacity in use and the queue.
 * @module
 */
import { UsageError } from '../../errors.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { out } from '../output.js';
import { renderTable } from '../table.js';
import type { OptionsOf } from '../options.js';
import { backendOf, resolveTarget } from '../target.js';

/** Runs `queue` and returns the exit code. */
export async function runQueue(options: OptionsOf<'queue'>): Promise<ExitCode> {
  const target = await resolveTarget(options);
  if (target.kind === 'kubernetes') {
    throw new UsageError(
      "queue shows the local backend's capacity and queue; on Kubernetes the cluster (and Kueue) queues jobs: " +
        '`konduktor status --backend kubernetes` shows why each pending job waits',
    );
  }
  const backend = await backendOf(target);
  if (backend.queue === undefined) throw new UsageError('the queue belongs to the local backend');
  const queue = backend.queue();
  if (options.json === true) {
    out(JSON.stringify(queue));
    return ExitCodes.SUCCESS;
  }
  const { capacity, used } = queue;
  const gpus = capacity.gpus.length === 0 ? '-' : `${used.gpus.length} of ${capacity.gpus.length}`;
  out(
    renderTable(
      ['RESOURCE', 'CAPACITY', 'IN USE', 'FREE'],
      [
        [
          'cpus',
          String(capacity.cpus),
          String(round(used.cpus)),
          String(round(capacity.cpus - used.cpus)),
        ],
        [
          'memory (GiB)',
          String(capacity.memory),
          String(round(used.memory)),
          String(round(capacity.memory - used.memory)),
        ],
        [
          'gpus',
          capacity.gpus.length === 0 ? '0' : capacity.gpus.join(','),
          used.gpus.length === 0 ? '-' : used.gpus.join(','),
          gpus === '-' ? '-' : String(capacity.gpus.length - used.gpus.length),
        ],
      ],
    ),
  );
  out('');
  out(`${queue.running} running, ${queue.waiting.length} queued`);
  if (queue.waiting.length > 0) {
    out(
      renderTable(
        ['#', 'JOB', 'WAITING FOR'],
        queue.waiting.map((job) => [String(job.position), job.name, job.reason]),
      ),
    );
  }
  return ExitCodes.SUCCESS;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
