/**
 * Ctrl+C (SIGINT) and SIGTERM during a command: the one place that turns them into an abort
 * whose reason is an {@link InterruptedError} (code `INTERRUPTED`, exit 130), so every command
 * (a wait, a log follow, a sweep, the dashboard) stops alike and says so alike.
 * @module
 */
import { InterruptedError } from '../errors.js';
import { ExitCodes } from './exit-codes.js';
import { bindToRun, currentRun, PROCESS_SIGNALS } from './io.js';

/** An abort signal fired by the first Ctrl+C, until {@link Interrupt.dispose}. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Stops listening for Ctrl+C. */
  dispose(): void;
}

/** What {@link onInterrupt} does besides aborting. */
export interface InterruptOptions {
  /** The abort reason's message. @default 'interrupted (Ctrl+C)' */
  readonly message?: string;
  /** Called on the first Ctrl+C, before the abort (to say what stopping does). */
  readonly onFirst?: () => void;
  /**
   * Called on a second Ctrl+C while the first is still being handled; it returns the exit code
   * to leave with at once. By default the process leaves with exit 130, as a second Ctrl+C does
   * to any program that did not catch it.
   */
  readonly onRepeat?: () => number;
}

/**
 * Listens for Ctrl+C and SIGTERM (the current run's signal source): the first aborts the returned signal with an
 * {@link InterruptedError}; a second leaves at once (see {@link InterruptOptions.onRepeat}).
 */
export function onInterrupt(options: InterruptOptions = {}): Interrupt {
  const controller = new AbortController();
  const onSignal = bindToRun((): void => {
    if (!controller.signal.aborted) {
      options.onFirst?.();
      controller.abort(new InterruptedError(options.message ?? 'interrupted (Ctrl+C)'));
      return;
    }
    const code = options.onRepeat?.() ?? ExitCodes.INTERRUPTED;
    if (run === undefined) process.exit(code);
    else run.leave(code);
  });
  const run = currentRun();
  const stop = (run?.io.signals ?? PROCESS_SIGNALS).on(onSignal);
  return { signal: controller.signal, dispose: stop };
}
