/**
 * Resuming a stored sweep: a sweep of the same name resumes only with the same configuration, and
 * the trials that were launching or running when it stopped are found again by their jobs.
 * @module
 */
import type { BackendChoice } from '../backends/resolve.js';
import { resolveBackend } from '../backends/resolve.js';
import { StateConflictError } from '../errors.js';
import type { Job } from '../job/job.js';
import { getJob } from '../launch.js';
import { configDifferences, describeDifferences } from './config-diff.js';
import type { SweepSpec } from './schema.js';
import type { SweepStore, TrialRecord } from './store.js';
import { fingerprinted, sweepFingerprint, trialTaskName } from './trials.js';

/**
 * Records the sweep in the store, or finds it stored with the same configuration.
 * @returns true when a stored sweep is resumed.
 * @throws {StateConflictError} when a sweep of that name is stored with another configuration
 *   (the message names what changed).
 */
export function openSweep(store: SweepStore, spec: SweepSpec): boolean {
  const fingerprint = sweepFingerprint(spec);
  if (store.createSweep(spec.name, JSON.stringify(spec), fingerprint)) return false;
  const stored = store.getSweep(spec.name);
  if (stored !== undefined && stored.fingerprint !== fingerprint) {
    const changed = configDifferences(
      fingerprinted(JSON.parse(stored.spec) as SweepSpec),
      fingerprinted(spec),
    );
    throw new StateConflictError(
      `a sweep named ${spec.name} is stored with a different configuration ` +
        `(changed: ${changed.length === 0 ? 'its recorded form' : describeDifferences(changed)}); ` +
        `give this one another name, or delete the stored one with: konduktor sweep rm ${spec.name}`,
    );
  }
  return true;
}

/** An unfinished trial of a stored sweep with its job, or why it has none. */
export type FoundTrial =
  | { readonly trial: TrialRecord; readonly job: Job }
  | { readonly trial: TrialRecord; readonly job?: undefined; readonly reason: string };

/**
 * The jobs of the trials that were launching or running when the sweep stopped. A trial killed
 * between submitting and recording its job is found by its job's name and age.
 */
export async function findTrialJobs(
  sweepName: string,
  trials: Iterable<TrialRecord>,
  launchOptions: { readonly backend?: BackendChoice; readonly home?: string },
): Promise<FoundTrial[]> {
  const unfinished = [...trials].filter((t) => t.state === 'launching' || t.state === 'running');
  if (unfinished.length === 0) return [];
  const backend = await resolveBackend(
    launchOptions.backend,
    launchOptions.home === undefined ? {} : { home: launchOptions.home },
  );
  const needsSearch = unfinished.some((t) => t.job === undefined);
  const jobs = needsSearch ? await backend.list() : [];
  const found: FoundTrial[] = [];
  for (const t of unfinished) {
    let name = t.job;
    if (name === undefined) {
      const prefix = `${trialTaskName(sweepName, t.index)}-`;
      const since = (t.startedAt ?? 0) - 1000;
      name = jobs.find(
        (j) =>
          j.name.startsWith(prefix) &&
          /^[0-9a-f]{4}$/.test(j.name.slice(prefix.length)) &&
          j.submittedAt.getTime() >= since,
      )?.name;
    }
    if (name === undefined) {
      found.push({ trial: t, reason: 'the sweep stopped before the trial was submitted' });
      continue;
    }
    try {
      found.push({ trial: t, job: await getJob(name, launchOptions) });
    } catch {
      found.push({ trial: t, reason: `its job ${name} is gone` });
    }
  }
  return found;
}
