/**
 * `konduktor recorder`: records every Kubernetes job's outcome in a namespace as soon as it ends,
 * until SIGTERM or Ctrl+C (`src/backends/kubernetes/recorder.ts`). Prints one line per recorded
 * job on stdout (`NAME STATUS`), errors on stderr.
 * @module
 */
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { formatError, info, out } from '../output.js';
import { backendFromFlags, type TargetFlags } from '../target.js';

/** Runs the recorder until SIGTERM or SIGINT; exit 0 then. */
export async function runRecorderCommand(flags: Omit<TargetFlags, 'backend'>): Promise<ExitCode> {
  const backend = await backendFromFlags({ ...flags, backend: 'kubernetes' });
  const { runRecorder } = await import('../../backends/kubernetes/recorder.js');
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  info(`konduktor recorder: recording outcomes in ${backend.description}`);
  try {
    await runRecorder(backend, {
      signal: controller.signal,
      onRecorded: (job) => {
        out(`${job.name} ${job.status}`);
      },
      onError: (job, error) => {
        info(`konduktor recorder: ${job}: ${formatError(error)}`);
      },
    });
  } finally {
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
    await backend.close();
  }
  return ExitCodes.SUCCESS;
}
