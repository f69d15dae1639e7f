/**
 * `konduktor recorder`: records every Kubernetes job's outcome in a namespace as soon as it ends,
 * until SIGTERM or Ctrl+C (`src/backends/kubernetes/recorder.ts`). Prints one line per recorded
 * job on stdout (`NAME STATUS`), and `NAME EXPIRED` per job it deleted when its time to live was
 * over (one konduktor ended itself); errors on stderr.
 * @module
 */
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { formatError, info, out } from '../output.js';
import { onInterrupt } from '../interrupt.js';
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';

/** Runs the recorder until SIGTERM or SIGINT; exit 0 then. */
export async function runRecorderCommand(options: OptionsOf<'recorder'>): Promise<ExitCode> {
  const backend = await backendFromFlags({
    backend: 'kubernetes',
    context: options.context,
    namespace: options.namespace,
  });
  const { runRecorder } = await import('../../backends/kubernetes/recorder.js');
  const interrupt = onInterrupt();
  info(`konduktor recorder: recording outcomes in ${backend.description}`);
  try {
    await runRecorder(backend, {
      signal: interrupt.signal,
      onRecorded: (job) => {
        out(`${job.name} ${job.status}`);
      },
      onExpired: (job) => {
        out(`${job} EXPIRED`);
      },
      onError: (job, error) => {
        info(`konduktor recorder: ${job}: ${formatError(error)}`);
      },
    });
  } finally {
    interrupt.dispose();
    await backend.close();
  }
  return ExitCodes.SUCCESS;
}
