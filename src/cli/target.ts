/**
 * Where a command's jobs are: the one place the CLI turns `--backend`, `--context`,
 * `--namespace`, `KONDUKTOR_BACKEND`, `KONDUKTOR_HOME` and `config.yaml` into a backend. Every
 * command that touches jobs or sweeps goes through {@link resolveTarget}, so that no command
 * reads the backend from one source and forgets another (a sweep that planned "on local" under
 * `backend: kubernetes` in config.yaml; `sweep run --context X` that ran on the current context).
 * @module
 */
import type { Backend, BackendKind } from '../backends/backend.js';
import { UsageError } from '../errors.js';
import { resolveHome } from '../backends/local/home.js';
import { currentEnv, currentRun } from './io.js';

/** The backend options every job command accepts, as parsed from the command line. */
export interface TargetFlags {
  readonly backend?: BackendKind | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
}

/** Where a command's jobs and sweeps are, resolved once. */
export interface Target {
  /** The backend kind: the flag, else `KONDUKTOR_BACKEND`, else config.yaml's, else local. */
  readonly kind: BackendKind;
  /** The konduktor home (absolute): local jobs, the sweep store, config.yaml. */
  readonly home: string;
  /** Kubernetes: the kubeconfig context given on the command line (else config.yaml's). */
  readonly context?: string;
  /** Kubernetes: the namespace given on the command line (else config.yaml's). */
  readonly namespace?: string;
}

/** How a caller spells the target options in a refusal: the CLI's flags, or the Python API's keywords. */
export interface TargetWords {
  /** `context` → `--context` (CLI) or `context=` (Python). */
  readonly option: (key: 'context' | 'namespace') => string;
  /** How to choose the kubernetes backend: `--backend kubernetes` or `backend="kubernetes"`. */
  readonly kubernetes: string;
}

/** The CLI's spelling of the target options. */
export const CLI_TARGET_WORDS: TargetWords = {
  option: (key) => `--${key}`,
  kubernetes: '--backend kubernetes',
};

/**
 * Resolves a command's flags to a target, without connecting to anything.
 * @param env - the environment the command runs in (`KONDUKTOR_HOME`, `KONDUKTOR_BACKEND`);
 *   the current run's by default.
 * @param words - how the refusal names the options (the CLI's flags by default).
 * @throws {ConfigError} when `KONDUKTOR_BACKEND` or config.yaml is invalid.
 * @throws {UsageError} when `--context` or `--namespace` is given for the local backend, which
 *   has neither (accepting and dropping them would run the jobs somewhere the user did not say).
 */
export async function resolveTarget(
  flags: TargetFlags,
  env: Readonly<Record<string, string | undefined>> = currentEnv(),
  words: TargetWords = CLI_TARGET_WORDS,
): Promise<Target> {
  const home = resolveHome(undefined, env);
  // Loaded here, not up front: the fast `status` path must not pay for config parsing.
  const { defaultBackendKind } = await import('../backends/resolve.js');
  const kind = flags.backend ?? defaultBackendKind(home, env);
  if (kind === 'local') {
    const given = (['context', 'namespace'] as const).filter((key) => flags[key] !== undefined);
    if (given.length > 0) {
      throw new UsageError(
        `${given.map((key) => words.option(key)).join(' and ')} ${given.length === 1 ? 'applies' : 'apply'} to the kubernetes backend, but this command runs on the local one: add ${words.kubernetes}, or drop ${given.length === 1 ? 'it' : 'them'}`,
      );
    }
  }
  return {
    kind,
    home,
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
  };
}

/**
 * The backend of a target: from the process's backends (one per target), or from the current
 * in-process run's own, closed when it ends.
 * @throws {BackendError} when it cannot be made (no cluster, no such context, no JobSet CRD).
 */
export async function backendOf(target: Target): Promise<Backend> {
  const { BackendPool, resolveBackend } = await import('../backends/resolve.js');
  const options = { home: target.home, context: target.context, namespace: target.namespace };
  const own = currentRun()?.backends;
  if (own === undefined) return resolveBackend(target.kind, options);
  own.pool ??= new BackendPool();
  return own.pool.get(target.kind, options);
}

/** The backend chosen by a command's flags: {@link resolveTarget}, then {@link backendOf}. */
export async function backendFromFlags(
  flags: TargetFlags,
  env: Readonly<Record<string, string | undefined>> = currentEnv(),
): Promise<Backend> {
  return backendOf(await resolveTarget(flags, env));
}
