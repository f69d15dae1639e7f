/**
 * A plain `konduktor status` on the local backend, served from the store alone when every job it
 * lists is known to have ended (the common case: a long history, nothing running). Loading the
 * backend (its launcher, admission, events and their modules) costs about 20 ms of a 100 ms
 * budget; a listed job that may still run needs it (only the backend can refresh a job), and so
 * do a `config.yaml` (it may choose another backend) and `KONDUKTOR_BACKEND`: then this returns
 * undefined and the full command runs.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homeLayout, localDescription, resolveHome } from '../backends/local/home.js';
import { isSettled, jobInfoOf } from '../backends/local/job-info.js';
import { Store } from '../backends/local/store.js';
import { integerOption } from './commands/common.js';
import { renderJobs } from './commands/status-view.js';
import type { ExitCode } from './exit-codes.js';
import type { OptionsOf } from './options.js';

/** Runs a plain `status` from the store; undefined when the full command must run instead. */
export function fastStatus(
  options: OptionsOf<'status'>,
  env: Readonly<Record<string, string | undefined>>,
): ExitCode | undefined {
  // Anything but the local backend, and --context/--namespace (refused there), is the full
  // command's to resolve.
  if (options.backend === 'kubernetes' || options.context !== undefined) return undefined;
  if (options.namespace !== undefined) return undefined;
  const chosen = env['KONDUKTOR_BACKEND'];
  if (chosen !== undefined && chosen !== '' && chosen !== 'local') return undefined;
  const home = resolveHome(undefined, env);
  const { database } = homeLayout(home);
  // config.ts's configPath, spelled out: importing that module costs ~2.5 ms of this path.
  if (existsSync(join(home, 'config.yaml')) || !existsSync(database)) return undefined;
  const limit = options.all === true ? undefined : integerOption(options.limit, '--limit');
  const store = new Store(database);
  try {
    const rows = store.list(limit ?? -1);
    if (!rows.every((row) => isSettled(row.status))) return undefined;
    return renderJobs(rows.map(jobInfoOf), {
      ...(options.json === undefined ? {} : { json: options.json }),
      limit,
      description: localDescription(home),
    });
  } finally {
    store.close();
  }
}
