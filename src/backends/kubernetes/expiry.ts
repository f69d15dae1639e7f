/**
 * Time to live: a finished job's JobSet is deleted by the JobSet controller
 * `spec.ttlSecondsAfterFinished` after it turns Completed or Failed (`kubernetes.ttl`, default 7
 * days as the original), and one konduktor ended itself by konduktor ({@link selfEndedExpiry}). The cluster then keeps nothing of the job, so this konduktor home
 * remembers which jobs it launched: asked later for a job it launched and the cluster no longer
 * has, konduktor says the job expired instead of "not found".
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONDITION_TYPE, readRecord } from './condition.js';
import { LABELS } from './manifests.js';
import type { JobSetObject } from './types.js';

/**
 * When the time to live of a job konduktor ended itself runs out (milliseconds since the epoch),
 * else `undefined`. A cancelled job and one whose image cannot be pulled are suspended with their
 * outcome recorded and never turn Completed or Failed, so the JobSet controller, which counts
 * `ttlSecondsAfterFinished` from those, would keep them for ever: konduktor deletes them itself
 * that long after the recorded end (`JobStatusReader`, the recorder). A JobSet that turned
 * terminal is the JobSet controller's to delete.
 */
export function selfEndedExpiry(js: JobSetObject): number | undefined {
  const ttl = js.spec?.ttlSecondsAfterFinished;
  if (js.metadata.labels?.[LABELS.managed] !== 'true' || typeof ttl !== 'number') return undefined;
  if (js.status?.terminalState !== undefined || js.spec?.suspend !== true) return undefined;
  const record = readRecord(js);
  if (record === undefined) return undefined;
  const written = js.status?.conditions?.find((c) => c.type === CONDITION_TYPE)?.lastTransitionTime;
  const ended = record.endedAt ?? (written === undefined ? undefined : new Date(written));
  if (ended === undefined || Number.isNaN(ended.getTime())) return undefined;
  return ended.getTime() + ttl * 1000;
}

/** The default time to live of a finished job, in seconds: 7 days, as the original. */
export const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The jobs launched from one konduktor home into one namespace of one cluster: one small file per
 * job, `$KONDUKTOR_HOME/kubernetes/launched/<cluster+namespace hash>/<job>`, holding the time to
 * live it was launched with. Never throws: a home that cannot be written only loses the "expired"
 * wording.
 */
export class LaunchLog {
  readonly #dir: string;

  /**
   * @param home the konduktor home
   * @param cluster the API server's URL
   * @param namespace the namespace
   */
  constructor(home: string, cluster: string, namespace: string) {
    const key = createHash('sha256').update(`${cluster}\n${namespace}`).digest('hex').slice(0, 16);
    this.#dir = join(home, 'kubernetes', 'launched', key);
  }

  /** Notes that job `name` was launched with this time to live (seconds). */
  record(name: string, ttlSeconds: number): void {
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.#dir, name), `${ttlSeconds}\n`, { mode: 0o600 });
    } catch {
      // Only the wording of a later "not found" depends on it.
    }
  }

  /**
   * Notes that job `name` was removed with `down` from here: asked for later, it was removed, not
   * expired, and not "maybe launched elsewhere".
   */
  forget(name: string): void {
    try {
      writeFileSync(join(this.#dir, name), 'removed\n', { mode: 0o600 });
    } catch {
      rmSync(join(this.#dir, name), { force: true });
    }
  }

  /** Whether job `name` was removed with `down` from this konduktor home. */
  removedHere(name: string): boolean {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return false;
    try {
      return readFileSync(join(this.#dir, name), 'utf8').trim() === 'removed';
    } catch {
      return false;
    }
  }

  /** The time to live job `name` was launched with, or `undefined` when not launched from here. */
  ttlOf(name: string): number | undefined {
    // Job names are DNS labels; anything else never names a file here.
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return undefined;
    try {
      const ttl = Number(readFileSync(join(this.#dir, name), 'utf8').trim());
      return Number.isInteger(ttl) && ttl >= 0 ? ttl : undefined;
    } catch {
      return undefined;
    }
  }
}
