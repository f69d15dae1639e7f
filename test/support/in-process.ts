/**
 * Running the CLI in-process through `run(argv, io)`: its own stdout/stderr buffers, environment
 * (a private KONDUKTOR_HOME), working directory and interrupts, no Node process to spawn.
 */
import type { SignalSource } from '../../src/cli/io.js';
import { run, type RunOptions } from '../../src/cli/run.js';
import { type RunningCli, watchOutput } from './cli.js';

/** What an in-process run printed and returned. */
export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link startInProcess}. */
export interface InProcessOptions extends RunOptions {
  readonly home: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly signals?: SignalSource;
}

/** An interrupt source the test fires (as Ctrl+C would). */
export function fakeSignals(): SignalSource & { fire(): void } {
  const listeners = new Set<() => void>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fire() {
      for (const listener of [...listeners]) listener();
    },
  };
}

/** A run going on: its output so far, a wait for a line, and its end. */
export interface InProcessRun extends Pick<RunningCli, 'output' | 'waitFor'> {
  readonly done: Promise<InProcessResult>;
}

/** Starts `konduktor ...args` in this process and returns at once. */
export function startInProcess(args: readonly string[], options: InProcessOptions): InProcessRun {
  const watched = watchOutput();
  const done = run(
    args,
    {
      stdout: (chunk) => {
        watched.write('stdout', chunk);
      },
      stderr: (chunk) => {
        watched.write('stderr', chunk);
      },
      env: { ...process.env, NO_COLOR: '1', KONDUKTOR_HOME: options.home, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.signals === undefined ? {} : { signals: options.signals }),
    },
    options.onOptions === undefined ? {} : { onOptions: options.onOptions },
  ).then((code) => {
    watched.end();
    return { code, ...watched.text };
  });
  return { output: () => ({ ...watched.text }), waitFor: watched.waitFor, done };
}

/** Runs `konduktor ...args` in this process to its end. */
export function runInProcess(
  args: readonly string[],
  options: InProcessOptions,
): Promise<InProcessResult> {
  return startInProcess(args, options).done;
}
