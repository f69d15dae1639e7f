/**
 * Hash routes, so the server serves one page: `#/` jobs, `#/job/NAME`, `#/sweeps`,
 * `#/sweep/NAME`, `#/queue`.
 * @module
 */

/** Goes to a route (a `#/…` address). */
export function navigate(hash: string): void {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = hash;
}

/** The current route: its path parts and query. */
export function currentRoute(): {
  readonly parts: readonly string[];
  readonly params: URLSearchParams;
} {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  return {
    parts: path
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p)),
    params: new URLSearchParams(query),
  };
}

let cleanups: (() => void)[] = [];

/** Runs `fn` when the current view is left (closes its streams). */
export function onLeave(fn: () => void): void {
  cleanups.push(fn);
}

/** Leaves the current view. */
export function leave(): void {
  for (const fn of cleanups) fn();
  cleanups = [];
}
