/**
 * `konduktor launch TASK`.
 * @module
 */
import { Job } from '../../job/job.js';
import { parseDuration } from '../../job/duration.js';
import { loadTaskFile } from '../../task/load.js';
import { applyOverrides, type TaskOverrides } from '../../task/overrides.js';
import type { TaskSpec } from '../../task/types.js';
import { awaitResult } from '../await-result.js';
import { confirm } from '../confirm.js';
import { type ExitCode, ExitCodes, exitCodeOf } from '../exit-codes.js';
import { backendFromFlags } from './common.js';
import { formatError, info, out, paint } from '../output.js';

/** The options of `launch`, as commander parses them. */
export interface LaunchCommandOptions {
  readonly wait?: true;
  readonly yes?: true;
  readonly detach?: true;
  readonly timeout?: string;
  readonly backend?: 'local' | 'kubernetes';
  readonly context?: string;
  readonly namespace?: string;
  readonly json?: true;
  readonly dryrun?: true;
  readonly name?: string;
  readonly env: string[];
  readonly envFile?: string;
  readonly numNodes?: string;
  readonly cpus?: string;
  readonly memory?: string;
  readonly gpus?: string;
  readonly imageId?: string;
  readonly maxRestarts?: string;
}

function overridesOf(options: LaunchCommandOptions): TaskOverrides {
  return {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.env.length === 0 ? {} : { env: options.env }),
    ...(options.envFile === undefined ? {} : { envFile: options.envFile }),
    ...(options.numNodes === undefined ? {} : { numNodes: options.numNodes }),
    ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    ...(options.memory === undefined ? {} : { memory: options.memory }),
    ...(options.gpus === undefined ? {} : { gpus: options.gpus }),
    ...(options.imageId === undefined ? {} : { imageId: options.imageId }),
    ...(options.maxRestarts === undefined ? {} : { maxRestarts: options.maxRestarts }),
  };
}

function describePlan(spec: TaskSpec, backend: string): string {
  const { cpus = 1, memory = 1, accelerators, maxRestarts } = spec.resources;
  const gpus = accelerators === undefined ? '' : `, ${accelerators.name}:${accelerators.count}`;
  const restarts =
    maxRestarts > 0 ? `, up to ${maxRestarts} restart${maxRestarts === 1 ? '' : 's'}` : '';
  return `${spec.name}: ${spec.numNodes} node${spec.numNodes === 1 ? '' : 's'} × (${cpus} CPU, ${memory} GiB${gpus})${restarts} on ${backend}`;
}

/** Runs `launch` and returns the exit code. */
export async function runLaunch(
  taskPath: string,
  options: LaunchCommandOptions,
): Promise<ExitCode> {
  // Validate everything before touching a backend: bad input launches nothing.
  const timeout =
    options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout');
  if (options.detach === true && options.wait === true) {
    info(formatError(new Error('--detach and --wait contradict each other: pick one')));
    return ExitCodes.USAGE;
  }
  const spec = applyOverrides(loadTaskFile(taskPath), overridesOf(options));
  const backend = await backendFromFlags(options);
  if (options.dryrun === true) {
    out(JSON.stringify(await backend.dryRun(spec), null, 2));
    return ExitCodes.SUCCESS;
  }
  info(`${paint.bold('plan')}: ${describePlan(spec, backend.description)}`);
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
  return followUntilEnd(job);
}

/** Prints rank 0's log until the job ends; Ctrl+C detaches. */
async function followUntilEnd(job: Job): Promise<ExitCode> {
  const controller = new AbortController();
  const onSigint = (): void => {
    controller.abort(new DOMException('interrupted', 'AbortError'));
  };
  process.once('SIGINT', onSigint);
  try {
    for await (const line of job.logs({ follow: true, signal: controller.signal })) {
      process.stdout.write(`${line}\n`);
    }
    const outcome = await job.wait();
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
    const code = exitCodeOf(error);
    if (code === ExitCodes.INTERRUPTED) {
      info(`detached; job ${job.name} keeps running. Follow it: konduktor logs -f ${job.name}`);
      return code;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
