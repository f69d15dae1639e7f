/**
 * Pod logs through the API: `konduktor logs` (`--rank`, `--attempt`, `--tail`, `-f`). The parts
 * live beside it: `logs-attempt.ts` (which pod, and whether its log is gone), `logs-read.ts` (a
 * log as it is now, its tail counted in the job's lines), `logs-follow.ts` (following a rank across
 * attempts).
 *
 * A container's log lives as long as its pod; a log asked for after its pod went is a
 * `LogsUnavailableError`, never an empty success. Following goes on across attempts: when the
 * followed pod's container ends and the job moves on to another attempt, the next attempt's pod is
 * followed after a restart marker, as on the local backend.
 * @module
 */
import { type JobLogOptions, readAttemptLog } from './logs-attempt.js';
import { followJobEntries } from './logs-follow.js';
import { readJobTail, readLog, splitLines } from './logs-read.js';
import { jobLines } from './metric-markers.js';

/**
 * The log lines of one rank of one attempt (the latest by default), the wrapper's metric lines
 * taken out. Without `follow`, what the log holds now (nothing before the pod starts). With
 * `follow`, waits for the pod, streams it until its container ends, and goes on with the job's
 * later attempts, if it restarts, until the job ends.
 * @throws {LogsUnavailableError} when the pod of that rank and attempt ran and is gone.
 * @throws {UsageError} for an attempt the job has not reached.
 */
export async function* jobLogs(options: JobLogOptions): AsyncGenerator<string> {
  if (options.follow) {
    for await (const entry of followJobEntries(options, false)) {
      if (entry.kind === 'log') yield entry.text;
      else if (entry.kind === 'open' && entry.newAttempt)
        yield `[konduktor] restart attempt ${entry.attempt}`;
    }
    return;
  }
  if (options.tail === 0) {
    await readAttemptLog(options, async () => Promise.resolve([]));
    return;
  }
  const { tail } = options;
  yield* await readAttemptLog(options, async (pod) =>
    tail === undefined
      ? jobLines(splitLines(await readLog(options, pod, false)))
      : (await readJobTail(options, pod, tail)).lines,
  );
}
