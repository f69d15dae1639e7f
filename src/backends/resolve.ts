/**
 * Choosing a backend: an explicit one, else the user's default, else local.
 * @module
 */
import { BackendError, UsageError } from '../errors.js';
import type { Backend, BackendKind } from './backend.js';
import { LocalBackend } from './local/local-backend.js';

/** Where to run: a backend kind, or a backend instance. */
export type BackendChoice = BackendKind | Backend;

/** Options shared by every backend choice. */
export interface BackendOptions {
  /** The konduktor home (local backend). @default $KONDUKTOR_HOME or ~/.konduktor */
  readonly home?: string;
}

const shared = new Map<string, Backend>();

/**
 * The backend for a choice. Backends made from a kind are shared per process, so all waits of one
 * process share one watcher.
 */
export function resolveBackend(
  choice: BackendChoice | undefined,
  options: BackendOptions = {},
): Backend {
  if (typeof choice === 'object') return choice;
  const kind = choice ?? defaultKind();
  const key = `${kind}:${options.home ?? process.env['KONDUKTOR_HOME'] ?? ''}`;
  const existing = shared.get(key);
  if (existing !== undefined) return existing;
  let backend: Backend;
  switch (kind) {
    case 'local':
      backend = new LocalBackend(options.home === undefined ? {} : { home: options.home });
      break;
    case 'kubernetes':
      throw new BackendError(
        'the kubernetes backend is not available in this version yet; use the local backend (--backend local)',
      );
    default:
      throw new UsageError(`unknown backend ${JSON.stringify(kind)}: use local or kubernetes`);
  }
  shared.set(key, backend);
  return backend;
}

function defaultKind(): BackendKind {
  const fromEnv = process.env['KONDUKTOR_BACKEND'];
  if (fromEnv === 'local' || fromEnv === 'kubernetes') return fromEnv;
  return 'local';
}
