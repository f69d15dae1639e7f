/**
 * `konduktor rpc`: the machine interface the Python package drives. One long-lived process reads
 * requests, one JSON object per line, on stdin and writes replies, one JSON object per line, on
 * stdout; requests run concurrently (50 waits cost 50 promises, not 50 processes), and a reply
 * names the request it answers by its `id`. The task travels as JSON data, never through a shell.
 *
 * Requests: `{"id": 1, "op": "launch", ...params}`. Replies: `{"id": 1, "ok": true, "value": …}`,
 * `{"id": 1, "ok": false, "error": {"name", "code", "message", …fields}}`, and for `logs` any
 * number of `{"id": 1, "line": "…"}` before its final reply. The process ends when stdin closes;
 * jobs keep running. Protocol described in docs/python.md.
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Backend } from '../../backends/backend.js';
import { JobFailedError, TaskValidationError, UsageError } from '../../errors.js';
import { asKonduktorError, isKonduktorError } from '../../errors.js';
import { Job } from '../../job/job.js';
import { loadTaskFile } from '../../task/load.js';
import { formatPath } from '../../diagnostics/issue.js';
import { specToInput, validateTask } from '../../task/validate.js';
import type { TaskSpec } from '../../task/types.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { errorJson } from '../output.js';
import { currentEnv } from '../io.js';
import { resolveTarget, type Target, type TargetWords } from '../target.js';

/** The protocol version; the Python package refuses an engine that speaks another. */
// 2: `get` gives `resources` as `JobInfo` has them (per node, structured), no longer the text.
export const RPC_PROTOCOL = 2;

type Params = Readonly<Record<string, unknown>>;

/** What each request needs besides its op: where its job lives. */

function stringParam(params: Params, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UsageError(`${key} must be a string`);
  return value;
}

function requiredString(params: Params, key: string): string {
  const value = stringParam(params, key);
  if (value === undefined) throw new UsageError(`${key} is required`);
  return value;
}

/** The Python API's spelling of the target options, for a refusal. */
const PYTHON_TARGET_WORDS: TargetWords = {
  option: (key) => `${key}=`,
  kubernetes: 'backend="kubernetes"',
};

/**
 * Where a request's jobs are, resolved like every CLI command's (the request's `home` standing
 * for `KONDUKTOR_HOME`): a `context` or `namespace` on the local backend is refused, not dropped.
 */
async function targetOf(params: Params): Promise<Target> {
  const backend = stringParam(params, 'backend');
  if (backend !== undefined && backend !== 'local' && backend !== 'kubernetes') {
    throw new UsageError(`unknown backend ${JSON.stringify(backend)}: use local or kubernetes`);
  }
  const home = stringParam(params, 'home');
  const env = currentEnv();
  return resolveTarget(
    {
      backend,
      context: stringParam(params, 'context'),
      namespace: stringParam(params, 'namespace'),
    },
    home === undefined || home === '' ? env : { ...env, KONDUKTOR_HOME: home },
    PYTHON_TARGET_WORDS,
  );
}

/** Every backend this process used, closed when stdin closes. */
const used = new Set<Backend>();

async function backendOf(target: Target): Promise<Backend> {
  const { resolveBackend } = await import('../../backends/resolve.js');
  const backend = await resolveBackend(target.kind, {
    home: target.home,
    context: target.context,
    namespace: target.namespace,
  });
  used.add(backend);
  return backend;
}

/** A wait's timeout: milliseconds (the Python side converts its seconds) or a duration string. */
function timeoutOf(params: Params): { timeout?: number | string } {
  const value = params['timeout'];
  if (value === undefined || value === null) return {};
  if (typeof value === 'number' || typeof value === 'string') return { timeout: value };
  throw new UsageError('timeout must be a number of seconds or a duration string such as "10m"');
}

function nonNegativeInteger(params: Params, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UsageError(`${key} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The request's directory, against which relative paths are resolved (the caller's cwd). */
function cwdOf(params: Params): string {
  return stringParam(params, 'cwd') ?? process.cwd();
}

/** Validates a task in YAML form (the Python `Task`'s fields) with the YAML rules. */
function specOf(params: Params): TaskSpec {
  const validation = validateTask(params['task'], cwdOf(params));
  if (validation.ok) return validation.spec;
  throw new TaskValidationError(
    validation.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

/** An error as data; a failed job's reported value travels as its exact text. */
async function errorReply(error: unknown, job: Job | undefined): Promise<Record<string, unknown>> {
  if (!isKonduktorError(error)) {
    const known = error instanceof Error && error.name === 'AbortError';
    return known
      ? { name: 'AbortError', code: 'INTERRUPTED', message: 'the request was cancelled' }
      : { name: asKonduktorError(error).name, ...errorJson(error) };
  }
  const data: Record<string, unknown> = { name: error.name, ...errorJson(error) };
  if (error instanceof JobFailedError && job !== undefined) {
    const { outcome } = await job.info();
    if (outcome?.kind === 'failed' && outcome.valueText !== undefined) {
      data['valueText'] = outcome.valueText;
    }
  }
  return data;
}

type Send = (message: Record<string, unknown>) => void;

/** The requests about one job (they take `job`), checked before `job` is asked for. */
const JOB_OPS: ReadonlySet<string> = new Set([
  'get',
  'wait',
  'result',
  'cancel',
  'logs',
  'metrics',
]);

/** Runs one request and returns its value; `logs` streams its lines through `send` first. */
async function handle(
  op: string,
  params: Params,
  signal: AbortSignal,
  send: Send,
  jobOf: (job: Job) => void,
): Promise<unknown> {
  switch (op) {
    case 'hello':
      return { protocol: RPC_PROTOCOL, pid: process.pid };
    case 'load_task': {
      const path = requiredString(params, 'path');
      const cwd = cwdOf(params);
      const file = isAbsolute(path) || cwd === process.cwd() ? path : resolve(cwd, path);
      return specToInput(loadTaskFile(file));
    }
    case 'launch': {
      const spec = specOf(params);
      if (params['validate_only'] === true) return null;
      const backend = await backendOf(await targetOf(params));
      if (params['dryrun'] === true) {
        await backend.dryRun(spec);
        return null;
      }
      return { job: await backend.submit(spec) };
    }
  }
  if (!JOB_OPS.has(op)) {
    const known = ['hello', 'load_task', 'launch', ...JOB_OPS, 'cancel_request'].join(', ');
    throw new UsageError(
      op === ''
        ? `the request has no "op": give one of ${known}`
        : `unknown request ${JSON.stringify(op)}: use one of ${known}`,
    );
  }
  const name = requiredString(params, 'job');
  const backend = await backendOf(await targetOf(params));
  const job = new Job(name, backend);
  jobOf(job);
  switch (op) {
    case 'get':
      return job.info();
    case 'wait':
      return job.wait({ signal, ...timeoutOf(params) });
    case 'result':
      return { text: await job.resultText({ signal, ...timeoutOf(params) }) };
    case 'cancel':
      await job.cancel();
      return null;
    case 'logs': {
      const rank = nonNegativeInteger(params, 'rank') ?? 0;
      const tail = nonNegativeInteger(params, 'tail');
      const info = await job.info();
      if (rank >= info.numNodes) {
        throw new UsageError(
          `job ${name} has ${info.numNodes} rank(s): rank must be below ${info.numNodes}`,
        );
      }
      for await (const line of job.logs({
        rank,
        follow: params['follow'] === true,
        signal,
        ...(tail === undefined ? {} : { tail }),
      })) {
        send({ id: params['id'] ?? null, line });
      }
      return null;
    }
    case 'metrics': {
      // Points and skipped-line warnings travel as `line` messages, in the order read.
      const attempt = nonNegativeInteger(params, 'attempt');
      for await (const point of job.metrics({
        follow: params['follow'] === true,
        signal,
        onWarning: (warning) => {
          send({ id: params['id'] ?? null, line: { warning } });
        },
        ...(attempt === undefined ? {} : { attempt }),
      })) {
        send({
          id: params['id'] ?? null,
          line: { point: { ...point, time: point.time?.toISOString() ?? null } },
        });
      }
      return null;
    }
    default:
      throw new UsageError(`unknown request ${JSON.stringify(op)}`);
  }
}

/**
 * Serves requests from stdin until it closes, then releases the backends and returns 0.
 * `{"id": N, "op": "cancel_request", "target": M}` aborts request M (a wait or a log follow);
 * M then replies with code `INTERRUPTED`. The job itself is never touched by that.
 */
export async function runRpc(): Promise<ExitCode> {
  const inFlight = new Map<unknown, AbortController>();
  const send: Send = (message) => {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const running = new Set<Promise<void>>();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let request: Params;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new UsageError('a request is one JSON object per line');
      }
      request = parsed as Params;
    } catch (error) {
      send({
        id: null,
        ok: false,
        error: await errorReply(new UsageError(String(error)), undefined),
      });
      continue;
    }
    const { id } = request;
    const op = typeof request['op'] === 'string' ? request['op'] : '';
    if (op === 'cancel_request') {
      inFlight.get(request['target'])?.abort(new DOMException('cancelled', 'AbortError'));
      send({ id, ok: true, value: null });
      continue;
    }
    const controller = new AbortController();
    inFlight.set(id, controller);
    let job: Job | undefined;
    const task = handle(op, request, controller.signal, send, (j) => {
      job = j;
    })
      .then(
        (value) => {
          send({ id, ok: true, value: value ?? null });
        },
        async (error: unknown) => {
          send({ id, ok: false, error: await errorReply(error, job) });
        },
      )
      .finally(() => {
        inFlight.delete(id);
        running.delete(task);
      });
    running.add(task);
  }
  // stdin closed: the caller is gone. Its waits end; its jobs run on.
  for (const controller of inFlight.values()) controller.abort();
  await Promise.allSettled(running);
  await Promise.allSettled([...used].map((backend) => backend.close()));
  return ExitCodes.SUCCESS;
}
