/**
 * Ctrl+C during a command's wait: one place turns SIGINT into an abort whose reason is an
 * {@link InterruptedError} (code `INTERRUPTED`, exit 130), so every command reports it alike.
 * @module
 */
import { InterruptedError } from '../errors.js';

/** An abort signal fired by Ctrl+C, until {@link Interrupt.dispose}. */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Stops listening for Ctrl+C. */
  dispose(): void;
}

/** Listens for Ctrl+C (once) and aborts the returned signal with an {@link InterruptedError}. */
export function onInterrupt(message = 'interrupted (Ctrl+C)'): Interrupt {
  const controller = new AbortController();
  const onSigint = (): void => {
    controller.abort(new InterruptedError(message));
  };
  process.once('SIGINT', onSigint);
  return {
    signal: controller.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSigint);
    },
  };
}
