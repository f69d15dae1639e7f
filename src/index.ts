/**
 * konduktor: launch batch jobs on this machine or on Kubernetes, and get a small JSON result back
 * from each.
 *
 * A job reports by writing one JSON document to `$KONDUKTOR_OUTPUT_DIR/result.json` (from any
 * language; `report()` does it for Node). The launcher gets it back with `job.result()`, or a typed
 * error saying why not.
 *
 * @example
 * ```ts
 * import { Task, Resources, launch, JobFailedError } from 'konduktor';
 *
 * const task = new Task({
 *   name: 'sweep-trial-0',
 *   run: `echo '{"val_loss": 0.42}' > "$KONDUKTOR_OUTPUT_DIR/result.json"`,
 * });
 * task.setResources(new Resources({ cpus: 1, memory: 2 }));
 *
 * const job = await launch(task);                       // `${job}` is the job name
 * const value = await job.result({ timeout: '10m' });   // { val_loss: 0.42 }
 * ```
 * @module
 */
export { launch, getJob, type LaunchOptions, type GetJobOptions } from './launch.js';
export {
  createKonduktor,
  type Konduktor,
  type KonduktorOptions,
  type ClientLaunchOptions,
  type ClientSweepOptions,
} from './client.js';
export type { BackendChoice, BackendOptions } from './backends/resolve.js';
export { formatResources, type JobResources } from './backends/resources.js';
export {
  Job,
  waitingReasonOf,
  type WaitOptions,
  type LogOptions,
  type MetricsOptions,
} from './job/job.js';
export { parseDuration, type Duration } from './job/duration.js';
export { Task, Resources } from './task/task.js';
export type { TaskOptions, ResourcesOptions } from './task/task.js';
export { applyOverrides, type OverrideNaming, type TaskOverrides } from './task/overrides.js';
export type { TaskSpec, ResourcesSpec, AcceleratorSpec } from './task/types.js';
export { RESERVED_ENV_NAMES } from './task/types.js';
export { report, type ReportOptions } from './result/report.js';
export { reportMetrics, type ReportMetricsOptions } from './metrics/report.js';
export {
  parseMetricLine,
  METRIC_LINE_LIMIT_BYTES,
  type MetricPoint,
  type MetricWarning,
  type ParsedMetricLine,
} from './metrics/line.js';
export {
  decodeResult,
  RESULT_LIMIT_BYTES,
  type ResultDecoding,
  type ReporterFile,
} from './result/decode.js';
export type { Outcome, OutcomeKind } from './result/outcome.js';
export {
  KonduktorError,
  isKonduktorError,
  ErrorCodes,
  type ErrorCode,
  TaskValidationError,
  type TaskIssue,
  UsageError,
  ConfigError,
  StateConflictError,
  InternalError,
  JobFailedError,
  type JobFailure,
  ResultTooLargeError,
  MalformedResultError,
  NoResultReportedError,
  ResultTimeoutError,
  SweepTimeoutError,
  InterruptedError,
  JobNotFoundError,
  BackendError,
  ReportError,
  LogsUnavailableError,
} from './errors.js';
export {
  JobStatuses,
  isTerminal,
  type JobStatus,
  type JobInfo,
  type Backend,
  type BackendKind,
  type BackendLogOptions,
  type BackendMetricsOptions,
} from './backends/backend.js';
export { LocalBackend, type LocalBackendOptions } from './backends/local/local-backend.js';
// Sweeps (issue 5): many trials of one task over a parameter space; see docs/sweeps.md.
export {
  sweep,
  bestTrial,
  type SweepOptions,
  type SweepProgress,
  type SweepResult,
} from './sweep/run.js';
export {
  loadSweepFile,
  parseSweepYaml,
  resolveSweep,
  type SweepDefinition,
  type SamplerDefinition,
  type PrunerDefinition,
  type ParseSweepOptions,
} from './sweep/load.js';
export type { SweepSpec, SweepParam } from './sweep/schema.js';
export type { PrunerSpec, PruneDecision } from './sweep/pruner.js';
export type { TrialRecord, TrialState, SweepState } from './sweep/store.js';
export type { SweepFiles } from './sweep/files.js';
export {
  GridSampler,
  RandomSampler,
  createSampler,
  type Sampler,
  type SamplerSpec,
  type Observation,
} from './sweep/sampler.js';
export { TpeSampler, type TpeOptions } from './sweep/tpe.js';
export { Rng } from './sweep/rng.js';
export type {
  ParamSpec,
  ParamValue,
  Params,
  SearchSpace,
  UniformParam,
  LogUniformParam,
  IntParam,
  ChoiceParam,
  GridParam,
} from './sweep/space.js';
