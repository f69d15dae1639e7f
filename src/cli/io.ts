/**
 * What a run of the CLI talks to: its output streams, environment, working directory and the
 * signals that interrupt it. `run(argv, io)` (src/cli/run.ts) sets them for the whole command
 * (an `AsyncLocalStorage`, so concurrent in-process runs in one test each keep their own); the
 * installed binary runs with {@link PROCESS_IO}, the process's own.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isAbsolute, resolve } from 'node:path';
import type { BackendPool } from '../backends/resolve.js';

/** A source of interrupts (Ctrl+C, SIGTERM): `on` returns the function that stops listening. */
export interface SignalSource {
  on(listener: () => void): () => void;
}

/** The world of one CLI run; every field but the writers defaults to the process's. */
export interface CliIo {
  /** Writes data (stdout). May throw to end the command (a closed reader). */
  readonly stdout: (text: string) => void;
  /** Writes messages for people (stderr). */
  readonly stderr: (text: string) => void;
  /** The environment (`KONDUKTOR_HOME`, `KONDUKTOR_BACKEND`, `--env KEY` lookups). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** What relative paths on the command line are resolved against. */
  readonly cwd?: string;
  /** Ctrl+C and SIGTERM. @default the process's SIGINT and SIGTERM */
  readonly signals?: SignalSource;
  /** Whether a person can answer a question (else `-y` is required). @default false */
  readonly interactive?: boolean;
  /** Whether colour and spinners may be written to stderr. @default false */
  readonly fancy?: boolean;
}

/** One run's io, with how it leaves at once (a second Ctrl+C). */
export interface RunContext {
  readonly io: CliIo;
  /** Ends the run at once with `code`: the process exits, an in-process run returns it. */
  readonly leave: (code: number) => void;
  /**
   * The backends an in-process run made, closed when it ends; absent for the process's run,
   * which uses the process's default backends.
   */
  readonly backends?: { pool?: BackendPool };
}

// Created for the first in-process run only: on Node 20 an AsyncLocalStorage in use hooks every
// promise, which the binary's own run (one per process) does not need (about 10 ms of `status`).
let storage: AsyncLocalStorage<RunContext> | undefined;
let processRun: RunContext | undefined;

/**
 * Runs `body` with `context` as the current run's. `process: true` for the binary's one run per
 * process: it is then the process's context, with no per-run storage.
 */
export function withRun<T>(
  context: RunContext,
  body: () => Promise<T>,
  options: { readonly process?: boolean } = {},
): Promise<T> {
  if (options.process === true) {
    processRun = context;
    return body();
  }
  storage ??= new AsyncLocalStorage<RunContext>();
  return storage.run(context, body);
}

/**
 * `fn`, run in the current run's context wherever it is called from: a signal listener runs in
 * the emitter's context, and must still write to its own run's io.
 */
export function bindToRun<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return storage === undefined ? fn : AsyncLocalStorage.bind(fn);
}

/** The current run's context, or undefined outside `run()` (the process's own then). */
export function currentRun(): RunContext | undefined {
  return storage?.getStore() ?? processRun;
}

/** The current run's environment. */
export function currentEnv(): Readonly<Record<string, string | undefined>> {
  return currentRun()?.io.env ?? process.env;
}

/** The run's own working directory, or undefined for the process's. */
export function runCwd(): string | undefined {
  return currentRun()?.io.cwd;
}

/**
 * A command-line path, resolved against the run's working directory when it has its own (else
 * left as given, for the process's: messages show it as the user typed it).
 */
export function atCwd(path: string): string {
  const cwd = runCwd();
  return cwd === undefined || isAbsolute(path) ? path : resolve(cwd, path);
}

/** The process's SIGINT and SIGTERM, as a {@link SignalSource}. */
export const PROCESS_SIGNALS: SignalSource = {
  on(listener) {
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.removeListener('SIGINT', listener);
      process.removeListener('SIGTERM', listener);
    };
  },
};
