/**
 * The page's side of the API: JSON requests (the token on actions), and the one live channel the
 * page keeps open.
 * @module
 */
import type { ErrorView } from '../../src/dashboard/types.js';

/** The per-run token the server put in the page. */
const TOKEN = document.querySelector('meta[name="konduktor-token"]')?.getAttribute('content') ?? '';

/** An API error, with the JSON error body's fields. */
export class ApiError extends Error {
  readonly status: number;
  readonly view: ErrorView;

  constructor(status: number, view: ErrorView) {
    super(view.message);
    this.status = status;
    this.view = view;
  }
}

async function request<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: method === 'POST' ? { 'x-konduktor-token': TOKEN } : {},
    credentials: 'same-origin',
  });
  const body = (await response.json()) as T | { error: ErrorView };
  if (!response.ok) {
    const view = (body as { error?: ErrorView }).error ?? {
      name: 'Error',
      code: 'HTTP',
      message: `HTTP ${response.status}`,
    };
    throw new ApiError(response.status, view);
  }
  return body as T;
}

/** GET a JSON resource. */
export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
/** POST an action (with the token). */
export const post = <T>(path: string): Promise<T> => request<T>('POST', path);

/** `/api/jobs/NAME…` with the name encoded. */
export const jobPath = (name: string, rest = ''): string =>
  `/api/jobs/${encodeURIComponent(name)}${rest}`;
