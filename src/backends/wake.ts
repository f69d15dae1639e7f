/**
 * The pause in a backend's wait loop: until an event wakes it, a timer runs out, or the wait's
 * signal aborts. Shared by the local and Kubernetes waits.
 * @module
 */

/**
 * Resolves when the function handed to `register` is called (with true) or `ms` pass (with
 * false; never, without `ms`); rejects with `signal.reason` when the signal aborts, also if it
 * already has. On settling, `register` receives a no-op, so a late event does nothing.
 */
export function waitForWake(
  register: (wake: () => void) => void,
  options: { readonly ms?: number | undefined; readonly signal?: AbortSignal | undefined },
): Promise<boolean> {
  const { ms, signal } = options;
  return new Promise<boolean>((resolve, reject) => {
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      register(() => undefined);
    };
    const settle = (woken: boolean): void => {
      cleanup();
      resolve(woken);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason as Error);
    };
    const timer =
      ms === undefined
        ? undefined
        : setTimeout(() => {
            settle(false);
          }, ms);
    register(() => {
      settle(true);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
  });
}
