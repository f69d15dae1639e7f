/**
 * What `sweep()` takes and gives: its options, the progress it reports after every change of
 * a trial, and its result.
 * @module
 */
import type { BackendChoice } from '../backends/resolve.js';
import type { Duration } from '../job/duration.js';
import type { SweepFiles } from './files.js';
import type { SweepSpec } from './schema.js';
import type { TrialRecord } from './store.js';

/** Options of `sweep()`. */
export interface SweepOptions {
  /** Where trials run. @default $KONDUKTOR_BACKEND, else `'local'` */
  readonly backend?: BackendChoice;
  /** The konduktor home: the local backend's and the sweep store's. @default $KONDUKTOR_HOME or ~/.konduktor */
  readonly home?: string;
  /** Stops launching, cancels the running trials, and rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this long (ms or `'2h'`): like an abort, then rejects with
   * `SweepTimeoutError` (code `RESULT_TIMEOUT`). A later run resumes.
   */
  readonly timeout?: Duration;
  /**
   * How the timeout error tells to resume, e.g. `` `konduktor sweep run sweep.yaml` ``.
   * @default the same `konduktor sweep run FILE` when `definition` is a path, else a new call
   */
  readonly resumeCommand?: string;
  /**
   * Where `trials.csv`, `trials.json` and `report.html` are written; `false` writes nothing.
   * @default the sweep's `output_dir`, else `./sweeps/<name>`
   */
  readonly outputDir?: string | false;
  /** What relative paths of a sweep object are resolved against. @default process.cwd() */
  readonly baseDir?: string;
  /** Called after every change of a trial, with the whole sweep. */
  readonly onUpdate?: (progress: SweepProgress) => void;
}

/** The state of a sweep at one moment. */
export interface SweepProgress {
  readonly spec: SweepSpec;
  /** Every trial so far, by index. */
  readonly trials: readonly TrialRecord[];
  /** The best succeeded trial so far. */
  readonly best?: TrialRecord;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Trials stopped early by the pruner. */
  readonly pruned: number;
  /** True when this run picked up a stored sweep. */
  readonly resumed: boolean;
}

/** What a finished (or stopped) sweep produced. */
export interface SweepResult {
  readonly name: string;
  /** `completed`: every trial ran; `stopped`: more than `max_failures` trials failed. */
  readonly state: 'completed' | 'stopped';
  /** Why the sweep stopped early. */
  readonly reason?: string;
  /** The best succeeded trial; undefined when none succeeded. */
  readonly best?: TrialRecord;
  readonly trials: readonly TrialRecord[];
  readonly spec: SweepSpec;
  /** The files written, unless `outputDir: false`. */
  readonly files?: SweepFiles;
  /** True when this run resumed a stored sweep. */
  readonly resumed: boolean;
}
