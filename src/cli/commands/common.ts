/**
 * Helpers shared by the commands.
 * @module
 */
import type { Backend } from '../../backends/backend.js';
import { UsageError } from '../../errors.js';

/** Parses a non-negative integer option, quoting it when it is not one. */
export function integerOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`${flag} expects a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The backend options every command accepts. */
export interface BackendFlags {
  readonly backend?: 'local' | 'kubernetes';
  readonly context?: string;
  readonly namespace?: string;
}

/** The backend chosen by a command's flags (and the user's defaults). */
export async function backendFromFlags(flags: BackendFlags): Promise<Backend> {
  // Loaded here, not up front: the fast `status` path uses this module without any backend.
  const { resolveBackend } = await import('../../backends/resolve.js');
  return resolveBackend(flags.backend, { context: flags.context, namespace: flags.namespace });
}
