/**
 * `konduktor stop JOB...` and `konduktor start JOB...`.
 * @module
 */
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';
import { UsageError } from '../../errors.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out, reportFatal } from '../output.js';
import { type Backend, refuseEnded } from '../../backends/backend.js';
import { selectJobs } from './down.js';

/** Runs `stop` or `start` over names or globs and returns the exit code. */
export async function runHold(
  action: 'stop' | 'start',
  patterns: string[],
  options: OptionsOf<'stop' | 'start'>,
): Promise<ExitCode> {
  if (patterns.length === 0) throw new UsageError(`no jobs given: name the jobs to ${action}`);
  const backend = await backendFromFlags(options);
  const every = (await backend.list()).map((job) => job.name);
  const names = await selectJobs(backend, patterns, every);
  let code: ExitCode = ExitCodes.SUCCESS;
  const done: string[] = [];
  for (const name of names) {
    try {
      const message = await (action === 'stop' ? stopOne(backend, name) : startOne(backend, name));
      info(message);
      done.push(name);
    } catch (error) {
      // One job that cannot be held or resumed does not keep the others from it.
      code = reportFatal(error);
    }
  }
  if (options.json === true) out(JSON.stringify(done));
  return code;
}

async function stopOne(backend: Backend, name: string): Promise<string> {
  await backend.stop(name);
  return `stopped ${name}; resume it with: konduktor start ${name}`;
}

async function startOne(backend: Backend, name: string): Promise<string> {
  const { status } = await backend.get(name);
  refuseEnded(name, status, 'start');
  if (status !== 'STOPPED') return `job ${name} is not stopped (${status}): nothing to start`;
  await backend.start(name);
  return `started ${name}: it is queued to run again from the start`;
}
