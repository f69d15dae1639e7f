/**
 * The validated, plain-data form of a task, shared by every backend.
 * @module
 */

/** An accelerator request: `H100:8` is `{ name: 'H100', count: 8 }`. */
export interface AcceleratorSpec {
  readonly name: string;
  readonly count: number;
}

/** Validated resources of one node. */
export interface ResourcesSpec {
  /** CPUs per node (`0.5` = 500m). Undefined: the backend default (local: 1). */
  readonly cpus?: number;
  /** Memory per node in GiB. Undefined: the backend default (local: 1). */
  readonly memory?: number;
  /** Accelerators per node. */
  readonly accelerators?: AcceleratorSpec;
  /** Container image; required on Kubernetes, ignored on local. */
  readonly imageId?: string;
  /** Labels put on the JobSet (e.g. `kueue.x-k8s.io/queue-name`). */
  readonly labels: Readonly<Record<string, string>>;
  /** How many times the whole job is restarted after a failure. */
  readonly maxRestarts: number;
  /**
   * Queue priority on the local backend: higher is admitted first, first-in first-out within a
   * priority. Default 0. (On Kubernetes, use a Kueue priority-class label instead.)
   */
  readonly priority?: number;
}

/**
 * A validated task, ready for a backend. Paths are absolute.
 */
export interface TaskSpec {
  /** The job name prefix (the job is named `<name>-<hex>`). */
  readonly name: string;
  /** The bash script run on every node. */
  readonly run: string;
  /** The bash script run before `run` on every node. */
  readonly setup?: string;
  /** User environment variables (never reserved names). */
  readonly envs: Readonly<Record<string, string>>;
  /** Absolute path of the working directory, when one was given. */
  readonly workdir?: string;
  /** Number of nodes (ranks), at least 1. */
  readonly numNodes: number;
  readonly resources: ResourcesSpec;
  /**
   * `{ remote_path: absolute local path }`, or an `s3://BUCKET/KEY` URL (see {@link isS3Url}):
   * an object, or every object under that prefix, fetched in the pod on Kubernetes.
   */
  readonly fileMounts: Readonly<Record<string, string>>;
}

/** Whether a file mount's source is an `s3://BUCKET/KEY` URL rather than a local path. */
export function isS3Url(source: string): boolean {
  return /^s3:\/\/[^/\s]+\/\S/.test(source);
}

/**
 * Environment variables every node gets unless the task sets them: Python then writes each line as
 * it prints it, so a followed log shows a Python job's lines as they come, not when it ends.
 */
export const DEFAULT_JOB_ENV: Readonly<Record<string, string>> = { PYTHONUNBUFFERED: '1' };

/** Environment variables konduktor sets on every node; tasks cannot override them. */
export const RESERVED_ENV_NAMES = [
  'KONDUKTOR_OUTPUT_DIR',
  'KONDUKTOR_JOB_NAME',
  'RANK',
  'NUM_NODES',
  'MASTER_ADDR',
  'NODE_HOST_IPS',
  'NUM_GPUS_PER_NODE',
  'RESTART_ATTEMPT',
  'JOB_COMPLETION_INDEX',
] as const;
