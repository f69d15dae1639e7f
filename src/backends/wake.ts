/**
 * The pause in a backend's wait loop: until an event wakes it, a timer runs out, or the wait's
 * signal aborts. Shared by the local and Kubernetes waits.
 * @module
 */

/**
 * Resolves when the function handed to `register` is called or `ms` pass (never, without `ms`);
 * rejects with `signal.reason` when the signal aborts, also if it already has. On settling,
 * `register` receives a no-op, so a late event does nothing.
 */
export function waitForWake(
  register: (wake: () => void) => void,
  options: { readonly ms?: number | undefined; readonly signal?: AbortSignal | undefined },
): Promise<void> {
  const { ms, signal } = options;
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      register(() => undefined);
    };
    const done = (): void => {
      cleanup();
      resolve();
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason as Error);
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    register(done);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
  });
}
