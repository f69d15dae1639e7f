/**
 * Sweeps for the dashboard: the sweeps of the konduktor home (`sweeps.db`, whatever backend the
 * trials ran on), one in detail with its trials and best so far, and one shared watch that reads a
 * change once — the running sweeps' trials, when the database's change counter moved — and hands
 * the sweeps that look different to every page.
 * @module
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prepareHome, resolveHome } from '../backends/local/home.js';
import type { SweepSpec } from '../sweep/schema.js';
import { type SweepRecord, SweepStore, type TrialRecord } from '../sweep/store.js';
import { FanOut } from './fan-out.js';
import type { ParameterView, SweepDetail, SweepSummary, TrialView } from './types.js';

/** How often the sweeps database's change counter is read while sweep pages are open. */
const VERSION_POLL_MS = 250;

/** The sweeps of one konduktor home. */
export class SweepSource {
  readonly #home: string;
  #store: SweepStore | undefined;
  #counter: Database.Database | undefined;
  readonly #fan: FanOut<SweepDetail>;
  #timer: NodeJS.Timeout | undefined;
  #version = 0;
  #seen = new Map<string, string>();
  /** Reads of the sweeps database so far (for the live-pages benchmark). */
  reads = 0;

  /** Where the sweeps are stored. */
  get home(): string {
    return this.#home;
  }

  constructor(home?: string) {
    this.#home = prepareHome(resolveHome(home)).root;
    this.#fan = new FanOut<SweepDetail>(
      () => {
        this.#startWatch();
      },
      () => {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#seen.clear();
      },
    );
  }

  get #db(): SweepStore {
    this.#store ??= new SweepStore(this.#home);
    return this.#store;
  }

  /** Every sweep, newest first. */
  list(): SweepSummary[] {
    this.reads += 1;
    return this.#db.listSweeps().map((record) => {
      this.reads += 1;
      return summaryOf(record, this.#db.trials(record.name));
    });
  }

  /** One sweep with its trials; undefined when there is no such sweep. */
  get(name: string): SweepDetail | undefined {
    this.reads += 1;
    const record = this.#db.getSweep(name);
    if (record === undefined) return undefined;
    this.reads += 1;
    return detailOf(record, this.#db.trials(name));
  }

  /** Calls `listener` with each sweep that changed, for as long as it is subscribed. */
  watch(listener: (sweep: SweepDetail) => void): () => void {
    return this.#fan.add(listener);
  }

  #startWatch(): void {
    // The store first: it creates the database (in WAL mode) and its tables.
    this.#store ??= new SweepStore(this.#home);
    this.#counter ??= new Database(join(this.#home, 'sweeps.db'));
    this.#version = this.#dataVersion();
    for (const sweep of this.#details(() => true)) this.#seen.set(sweep.name, signature(sweep));
    this.#timer = setInterval(() => {
      try {
        const version = this.#dataVersion();
        if (version === this.#version) return;
        this.#version = version;
        for (const sweep of this.#details((record) => this.#mayHaveChanged(record))) {
          const sign = signature(sweep);
          if (this.#seen.get(sweep.name) === sign) continue;
          this.#seen.set(sweep.name, sign);
          this.#fan.emit(sweep);
        }
      } catch {
        // A busy database: the next poll reads again.
      }
    }, VERSION_POLL_MS);
  }

  #dataVersion(): number {
    this.reads += 1;
    return (this.#counter?.pragma('data_version', { simple: true }) as number | undefined) ?? 0;
  }

  /** A sweep whose trials may have moved: running, new, or updated since last read. */
  #mayHaveChanged(record: SweepRecord): boolean {
    const seen = this.#seen.get(record.name);
    return record.state === 'running' || seen?.startsWith(`${record.updatedAt}/`) !== true;
  }

  #details(which: (record: SweepRecord) => boolean): SweepDetail[] {
    this.reads += 1;
    return this.#db
      .listSweeps()
      .filter(which)
      .map((record) => {
        this.reads += 1;
        return detailOf(record, this.#db.trials(record.name));
      });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#counter?.close();
    this.#store?.close();
  }
}

function signature(sweep: SweepDetail): string {
  return `${Date.parse(sweep.updatedAt)}/${sweep.state}/${sweep.trials
    .map((t) => `${t.state}:${t.value ?? ''}`)
    .join(',')}`;
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

function trialView(trial: TrialRecord): TrialView {
  const startedAt = iso(trial.startedAt);
  const endedAt = iso(trial.endedAt);
  return {
    index: trial.index,
    state: trial.state,
    params: trial.params,
    ...(trial.job === undefined ? {} : { job: trial.job }),
    ...(trial.value === undefined ? {} : { value: trial.value }),
    ...(trial.reason === undefined ? {} : { reason: trial.reason }),
    ...(trial.errorCode === undefined ? {} : { errorCode: trial.errorCode }),
    ...(trial.prunedStep === undefined ? {} : { prunedStep: trial.prunedStep }),
    ...(trial.curve === undefined ? {} : { curve: trial.curve }),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
  };
}

function summaryOf(record: SweepRecord, trials: readonly TrialRecord[]): SweepSummary {
  const spec = JSON.parse(record.spec) as SweepSpec;
  const states: Record<string, number> = {};
  for (const trial of trials) states[trial.state] = (states[trial.state] ?? 0) + 1;
  const better = (a: number, b: number): boolean => (spec.direction === 'minimize' ? a < b : a > b);
  let best: { index: number; value: number } | undefined;
  for (const trial of trials) {
    if (trial.state !== 'succeeded' || trial.value === undefined) continue;
    if (best === undefined || better(trial.value, best.value))
      best = { index: trial.index, value: trial.value };
  }
  return {
    name: record.name,
    state: record.state,
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    objective: spec.objective,
    direction: spec.direction,
    planned: spec.trials,
    trialStates: states,
    ...(best === undefined ? {} : { best }),
  };
}

function detailOf(record: SweepRecord, trials: readonly TrialRecord[]): SweepDetail {
  const summary = summaryOf(record, trials);
  const spec = JSON.parse(record.spec) as SweepSpec;
  const parameters: Record<string, ParameterView> = {};
  for (const [name, param] of Object.entries(spec.parameters)) {
    const { env: _env, ...space } = param;
    parameters[name] = space;
  }
  const bestSoFar: (number | null)[] = [];
  let best: number | undefined;
  for (const trial of trials) {
    if (trial.state === 'succeeded' && trial.value !== undefined) {
      if (
        best === undefined ||
        (spec.direction === 'minimize' ? trial.value < best : trial.value > best)
      )
        best = trial.value;
    }
    bestSoFar.push(best ?? null);
  }
  return { ...summary, parameters, trials: trials.map(trialView), bestSoFar };
}
