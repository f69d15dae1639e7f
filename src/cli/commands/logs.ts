/**
 * `konduktor logs JOB`.
 * @module
 */
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { integerOption, backendFromFlags } from './common.js';

/** Runs `logs` and returns the exit code. */
export async function runLogs(
  name: string,
  options: {
    readonly follow?: true;
    readonly rank: string;
    readonly tail?: string;
    readonly backend?: 'local' | 'kubernetes';
    readonly context?: string;
    readonly namespace?: string;
  },
): Promise<ExitCode> {
  const rank = integerOption(options.rank, '--rank') ?? 0;
  const tail = integerOption(options.tail, '--tail');
  const backend = await backendFromFlags(options);
  const job = await backend.get(name);
  if (rank >= job.numNodes) {
    const { UsageError } = await import('../../errors.js');
    throw new UsageError(
      `job ${name} has ${job.numNodes} rank(s): --rank must be below ${job.numNodes}`,
    );
  }
  const controller = new AbortController();
  const onSigint = (): void => {
    controller.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.once('SIGINT', onSigint);
  try {
    for await (const line of backend.logs(name, {
      rank,
      follow: options.follow === true,
      signal: controller.signal,
      ...(tail === undefined ? {} : { tail }),
    })) {
      process.stdout.write(`${line}\n`);
    }
    return ExitCodes.SUCCESS;
  } catch (error) {
    if (exitCodeOf(error) === ExitCodes.INTERRUPTED) return ExitCodes.INTERRUPTED;
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
