/**
 * `konduktor launch TASK`.
 * @module
 */
import { LogsUnavailableError, ResultTimeoutError, UsageError } from '../../errors.js';
import { Job } from '../../job/job.js';
import { parseDuration } from '../../job/duration.js';
import { loadTaskFile } from '../../task/load.js';
import { applyOverrides, type TaskOverrides } from '../../task/overrides.js';
import type { TaskSpec } from '../../task/types.js';
import { awaitResult } from '../await-result.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { atCwd, currentEnv } from '../io.js';
import type { OptionsOf } from '../options.js';
import { backendFromFlags } from '../target.js';
import { OVERRIDE_FLAGS } from '../../task/override-flags.js';
import { info, out, paint } from '../output.js';
import { leftMessage, watchHeld } from '../held.js';
import { onInterrupt } from '../interrupt.js';
import { printPlan } from '../plan.js';

/** The options of `launch`, as commander parses them. */
type LaunchOptions = OptionsOf<'launch'>;

/** The task overrides given on the command line: every key of the override table. */
function overridesOf(options: LaunchOptions): TaskOverrides {
  const overrides: Record<string, unknown> = {};
  for (const key of Object.keys(OVERRIDE_FLAGS) as (keyof typeof OVERRIDE_FLAGS)[]) {
    const value = options[key];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    // A relative --env-file is the run's working directory's, like the task file.
    overrides[key] = key === 'envFile' && typeof value === 'string' ? atCwd(value) : value;
  }
  return overrides;
}

function describePlan(spec: TaskSpec, backend: string): string {
  const { cpus = 1, memory = 1, accelerators, maxRestarts } = spec.resources;
  const gpus = accelerators === undefined ? '' : `, ${accelerators.name}:${accelerators.count}`;
  const restarts =
    maxRestarts > 0 ? `, up to ${maxRestarts} restart${maxRestarts === 1 ? '' : 's'}` : '';
  return `${spec.name}: ${spec.numNodes} node${spec.numNodes === 1 ? '' : 's'} × (${cpus} CPU, ${memory} GiB${gpus})${restarts} on ${backend}`;
}

/**
 * Refuses options that would do nothing with the others given: `--json` and `--timeout` are
 * about waiting (`--wait`; `--timeout` also bounds following the log), `-d` does not wait.
 */
function checkCombination(options: LaunchOptions): void {
  if (options.detach === true && options.wait === true) {
    throw new UsageError('--detach and --wait contradict each other: pick one');
  }
  if (options.detach === true && options.timeout !== undefined) {
    throw new UsageError(
      '--timeout bounds a wait, and --detach does not wait: drop one (wait later with `konduktor result JOB --timeout D`)',
    );
  }
  if (options.json === true && options.wait !== true && options.detach !== true) {
    throw new UsageError(
      '--json needs --wait (prints the result envelope) or --detach (prints {"job": NAME}); following the log prints text',
    );
  }
}

/** Runs `launch` and returns the exit code. */
export async function runLaunch(taskPath: string, options: LaunchOptions): Promise<ExitCode> {
  // Validate everything before touching a backend: bad input launches nothing.
  const timeout =
    options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  checkCombination(options);
  const spec = applyOverrides(loadTaskFile(atCwd(taskPath)), overridesOf(options), currentEnv());
  const backend = await backendFromFlags(options);
  if (options.dryrun === true) {
    out(JSON.stringify(await backend.dryRun(spec), null, 2));
    return ExitCodes.SUCCESS;
  }
  await printPlan(backend, spec, describePlan(spec, backend.description));
  if (options.yes !== true && !(await confirm(`Launch ${spec.name}?`))) {
    info('not launched');
    return ExitCodes.USAGE;
  }
  const name = await backend.submit(spec);
  const job = new Job(name, backend);
  info(`job ${paint.bold(name)} launched on ${backend.description}`);

  if (options.detach === true) {
    out(options.json === true ? JSON.stringify({ job: name }) : name);
    return ExitCodes.SUCCESS;
  }
  if (options.wait === true) {
    return awaitResult(job, {
      json: options.json === true,
      ...(timeout === undefined ? {} : { timeout }),
    });
  }
  return followUntilEnd(job, timeout);
}

/**
 * Rank 0's log followed from the first attempt, so that one which failed and restarted before the
 * follow began shows too; where that attempt's log is already gone (on Kubernetes a restart
 * deletes the earlier pods), from the latest.
 */
async function* fromFirstAttempt(job: Job, signal: AbortSignal): AsyncGenerator<string> {
  try {
    yield* job.logs({ follow: true, attempt: 0, signal });
  } catch (error) {
    if (!(error instanceof LogsUnavailableError) || error.attempt !== 0) throw error;
    info(`the log of attempt 0 is gone (${error.message}); following the latest attempt`);
    yield* job.logs({ follow: true, signal });
  }
}

/**
 * Prints rank 0's log until the job ends (across restarts and a stop/start); Ctrl+C detaches,
 * and a timeout stops following (exit 124); either way the job keeps its state.
 */
async function followUntilEnd(job: Job, timeoutMs: number | undefined): Promise<ExitCode> {
  const interrupt = onInterrupt();
  const timer = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const signal =
    timer === undefined ? interrupt.signal : AbortSignal.any([interrupt.signal, timer]);
  const watching = new AbortController();
  const lastStatus = watchHeld(job, AbortSignal.any([signal, watching.signal]));
  try {
    for await (const line of fromFirstAttempt(job, signal)) out(line);
    const outcome = await job.wait({ signal });
    const finished = await job.info();
    if (outcome === 'succeeded') {
      info(`job ${job.name} ${paint.green('succeeded')}; its result: konduktor result ${job.name}`);
      return ExitCodes.SUCCESS;
    }
    info(
      `job ${job.name} ${paint.red(finished.status.toLowerCase())}: ${finished.reason ?? 'unknown reason'}`,
    );
    return ExitCodes.JOB_FAILED;
  } catch (error) {
    if (timer?.aborted === true && !interrupt.signal.aborted) {
      throw new ResultTimeoutError(job.name, timeoutMs ?? 0, lastStatus() ?? 'PENDING', undefined, {
        verb: 'follow it',
        command: `konduktor logs -f ${job.name}`,
      });
    }
    const code = exitCodeOf(error);
    if (code === ExitCodes.INTERRUPTED) {
      info(
        leftMessage(job.name, lastStatus(), {
          stopped: 'detached',
          again: `konduktor logs -f ${job.name}`,
        }),
      );
      return code;
    }
    throw error;
  } finally {
    watching.abort();
    interrupt.dispose();
  }
}
