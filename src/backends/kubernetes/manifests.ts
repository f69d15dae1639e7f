/**
 * From a validated task to the JobSet konduktor creates. Pure: no I/O, so `launch --dryrun` and the
 * unit tests see exactly what `submit` sends.
 *
 * The container runs {@link CONTAINER_SCRIPT}, a static bash script: the task's `run` and `setup`
 * arrive as environment variables (escaped for Kubernetes' own `$(VAR)` expansion) and are never
 * pasted into shell source.
 * @module
 */
import { TaskValidationError, type TaskIssue } from '../../errors.js';
import { RESULT_LIMIT_BYTES } from '../../result/decode.js';
import { DEFAULT_JOB_ENV, type TaskSpec } from '../../task/types.js';
import { formatResources, jobResourcesOf } from '../resources.js';
import { LABEL_MAX_LENGTH, labelKeyProblem, labelValueProblem } from '../../task/k8s-names.js';
import { CONTAINER_SCRIPT } from './container-script.js';
import { DEFAULT_TTL_SECONDS } from './expiry.js';
import { podShipping, REMOTE_WORKDIR } from './shipping/pod.js';

export { CONTAINER_SCRIPT, INVALID_HEAD_BYTES, MARKERS } from './container-script.js';

/** The JobSet API konduktor targets. */
export const JOBSET_API = {
  group: 'jobset.x-k8s.io',
  version: 'v1alpha2',
  plural: 'jobsets',
} as const;

/** Labels konduktor puts on its JobSets and pods. */
export const LABELS = {
  /** The job name, on the JobSet and every pod. */
  job: 'konduktor.dev/job',
  /** `"true"` on everything konduktor made: the informers' selector. */
  managed: 'konduktor.dev/managed',
  /** Who launched the job (the local user name, cleaned). */
  user: 'konduktor.dev/user',
} as const;

/** Annotations konduktor puts on its JobSets. */
export const ANNOTATIONS = {
  /** The resource summary shown by `konduktor status`, e.g. `2x(1CPU, 1GiB)`. */
  resources: 'konduktor.dev/resources',
  /** The effective result limit of the pod spec, in bytes. */
  resultLimit: 'konduktor.dev/result-limit',
  /** `"true"` once `konduktor stop` held the job (spec.suspend is also true). */
  stopped: 'konduktor.dev/stopped',
  /** `"true"` once the job was cancelled. */
  cancelled: 'konduktor.dev/cancelled',
  /** When the job was submitted, in milliseconds (ISO 8601): creationTimestamp has whole seconds. */
  submittedAt: 'konduktor.dev/submitted-at',
  /**
   * Set by `konduktor stop` when the stopped run had started: the attempt `konduktor start` resumes
   * with (one more), so the resumed run is numbered and judged apart from the stopped one.
   */
  resumeAttempt: 'konduktor.dev/resume-attempt',
  /** When the job's first run started (ISO 8601), kept by `konduktor stop` before its pods go. */
  startedAt: 'konduktor.dev/started-at',
  /** What the job's code Secret holds: `<size> gzip tar, sha256 <hash>, <channel>`. */
  code: 'konduktor.dev/code',
} as const;

/** Labels and annotations set by JobSet and the Job controller that konduktor reads. */
export const JOBSET_LABELS = {
  jobsetName: 'jobset.sigs.k8s.io/jobset-name',
  replicatedJob: 'jobset.sigs.k8s.io/replicatedjob-name',
  jobIndex: 'jobset.sigs.k8s.io/job-index',
  restartAttempt: 'jobset.sigs.k8s.io/restart-attempt',
  completionIndex: 'batch.kubernetes.io/job-completion-index',
} as const;

/** The one replicated job of every konduktor JobSet. */
export const REPLICATED_JOB = 'workers';
/** The one container of every pod. */
export const CONTAINER_NAME = 'konduktor';
/** Where every pod's `KONDUKTOR_OUTPUT_DIR` (an emptyDir) is mounted. */
export const OUTPUT_DIR = '/konduktor/output';
/**
 * The termination-message file, inside the output directory as the spec asks. The script copies
 * `result.json` (or a marker, see {@link MARKERS}) here once `run` has ended.
 */
export const TERMINATION_PATH = `${OUTPUT_DIR}/.konduktor-termination-log`;

/**
 * The ConfigMap konduktor creates (owned by the JobSet) once a job's outcome is recorded. Every pod
 * reads its key `outcome` into `_KONDUKTOR_ENDED` when it starts: JobSet recreates a Job deleted
 * before the JobSet says Completed, and the pods it then makes must not run the workload again.
 */
export function endedMarkerName(job: string): string {
  return `${job}-ended`;
}

/** Options of {@link buildJobSet}. */
export interface JobSetOptions {
  /** The job name (the JobSet's name). */
  readonly name: string;
  readonly namespace: string;
  /** The launching user, for the owner label. */
  readonly user: string;
  /** When the job is submitted (an annotation, to order jobs finer than creationTimestamp). */
  readonly submittedAt?: Date;
  /**
   * The job's shipped code, when it has a workdir or file mounts: its pods mount the job's code
   * Secret and unpack it before setup. `summary` becomes the {@link ANNOTATIONS.code} annotation.
   */
  readonly shipping?: { readonly workdir: boolean; readonly summary: string };
  /**
   * The Secrets of the user's env secrets, in order: each reaches the container through
   * `envFrom.secretRef`, below the task's `envs` and the reserved variables (which `env` sets).
   */
  readonly envSecrets?: readonly string[];
  /**
   * Seconds the JobSet is kept after it turns Completed or Failed (`ttlSecondsAfterFinished`).
   * @default {@link DEFAULT_TTL_SECONDS} (7 days)
   */
  readonly ttlSeconds?: number;
}

/** A JobSet manifest as konduktor creates it (plain JSON data). */
export interface JobSetManifest {
  readonly apiVersion: string;
  readonly kind: 'JobSet';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly spec: Record<string, unknown>;
}

/**
 * The effective termination-message limit of a pod: the kubelet keeps 4096 bytes per container
 * and 12 KiB per pod, split evenly over containers and init containers (`peers.md` §1.2).
 */
export function effectiveResultLimit(containers: number, initContainers = 0): number {
  const total = Math.max(1, containers + initContainers);
  return Math.min(RESULT_LIMIT_BYTES, Math.floor(12288 / total));
}

/**
 * Escapes a value for a container `env` entry: Kubernetes expands `$(NAME)` references in env
 * values and turns `$$` into `$`, so every `$` is doubled to arrive unchanged.
 */
export function escapeEnvValue(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** `0.5` CPUs as a Kubernetes quantity (`500m`). */
export function cpuQuantity(cpus: number): string {
  return `${Math.ceil(cpus * 1000)}m`;
}

/** GiB as a Kubernetes quantity in MiB (`0.1` → `103Mi`), rounded up. */
export function memoryQuantity(gib: number): string {
  return `${Math.ceil(gib * 1024)}Mi`;
}

/** The DNS names of every node through the JobSet's headless service. */
export function nodeHostNames(name: string, numNodes: number): string[] {
  return Array.from({ length: numNodes }, (_, i) => `${name}-${REPLICATED_JOB}-0-${i}.${name}`);
}

/** `2x(1CPU, 1GiB, H100:8)`. */
export function resourceSummary(spec: TaskSpec): string {
  // No defaults: a request the task leaves out is the cluster's to decide.
  return formatResources(spec.numNodes, jobResourcesOf(spec));
}

/** A label value from free text: `[a-z0-9A-Z._-]`, at most 63 characters, alphanumeric ends. */
export function labelValue(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, LABEL_MAX_LENGTH)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned === '' ? 'unknown' : cleaned;
}

/** Why a file mount's remote path cannot be unpacked in a pod, or undefined when it can. */
function remoteMountProblem(remote: string): string | undefined {
  const cleaned = remote.replace(/\/+$/, '');
  if (cleaned === '' || cleaned === '~' || /^\/+$/.test(remote)) {
    return 'must name a file or directory to create, not the root or home directory itself';
  }
  if (cleaned === `~/${REMOTE_WORKDIR}` || cleaned.startsWith(`~/${REMOTE_WORKDIR}/`)) {
    return `must not be under ~/${REMOTE_WORKDIR}, where the workdir is unpacked: use a path relative to it`;
  }
  return undefined;
}

/**
 * Refuses what the Kubernetes backend cannot run: every problem at once, as the task loader does.
 * @throws {TaskValidationError}
 */
export function validateForKubernetes(spec: TaskSpec): void {
  const issues: TaskIssue[] = [];
  const need = 'is required on the kubernetes backend';
  if (spec.resources.imageId === undefined || spec.resources.imageId === '')
    issues.push({
      path: 'resources.image_id',
      message: `${need} (the container image to run; or launch --image-id IMAGE)`,
    });
  if (spec.resources.cpus === undefined)
    issues.push({
      path: 'resources.cpus',
      message: `${need} (CPUs per node, e.g. 1 or 0.5; or launch --cpus N)`,
    });
  if (spec.resources.memory === undefined)
    issues.push({
      path: 'resources.memory',
      message: `${need} (GiB per node, e.g. 2; or launch --memory GIB)`,
    });
  for (const remote of Object.keys(spec.fileMounts)) {
    const problem = remoteMountProblem(remote);
    if (problem !== undefined) issues.push({ path: `file_mounts.${remote}`, message: problem });
  }
  for (const [key, value] of Object.entries(spec.resources.labels)) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== undefined) issues.push({ path: `resources.labels.${key}`, message: problem });
  }
  if (issues.length > 0) throw new TaskValidationError(issues);
}

type EnvVar = { name: string; value: string } | { name: string; valueFrom: unknown };

function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * The JobSet for a task.
 * @throws {TaskValidationError} when the task cannot run on Kubernetes.
 */
export function buildJobSet(spec: TaskSpec, options: JobSetOptions): JobSetManifest {
  validateForKubernetes(spec);
  const { name, namespace } = options;
  const { cpus = 1, memory = 1, accelerators, imageId = '', maxRestarts } = spec.resources;
  const gpus = accelerators?.count ?? 0;
  const limit = effectiveResultLimit(1);
  const hosts = nodeHostNames(name, spec.numNodes);
  const ownLabels = {
    [LABELS.job]: name,
    [LABELS.managed]: 'true',
    [LABELS.user]: labelValue(options.user),
  };
  const quantities: Record<string, string> = {
    cpu: cpuQuantity(cpus),
    memory: memoryQuantity(memory),
    ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}),
  };
  const env: EnvVar[] = [
    // The task's own variables first: none is reserved (the loader refuses those).
    ...Object.entries({ ...DEFAULT_JOB_ENV, ...spec.envs }).map(([key, value]) => ({
      name: key,
      value: escapeEnvValue(value),
    })),
    { name: 'KONDUKTOR_OUTPUT_DIR', value: OUTPUT_DIR },
    { name: 'KONDUKTOR_JOB_NAME', value: name },
    fieldEnv('RANK', `metadata.annotations['${JOBSET_LABELS.completionIndex}']`),
    fieldEnv('JOB_COMPLETION_INDEX', `metadata.annotations['${JOBSET_LABELS.completionIndex}']`),
    fieldEnv('RESTART_ATTEMPT', `metadata.labels['${JOBSET_LABELS.restartAttempt}']`),
    { name: 'NUM_NODES', value: String(spec.numNodes) },
    { name: 'NUM_GPUS_PER_NODE', value: String(gpus) },
    { name: 'MASTER_ADDR', value: hosts[0] ?? '' },
    { name: 'NODE_HOST_IPS', value: hosts.join(',') },
    { name: '_KONDUKTOR_RUN', value: escapeEnvValue(spec.run) },
    ...(spec.setup === undefined
      ? []
      : [{ name: '_KONDUKTOR_SETUP', value: escapeEnvValue(spec.setup) }]),
    { name: '_KONDUKTOR_RESULT_LIMIT', value: String(limit) },
    { name: '_KONDUKTOR_TERMINATION_FILE', value: TERMINATION_PATH },
    // Set once the outcome is recorded (see `endedMarkerName`): a pod created after that runs nothing.
    {
      name: '_KONDUKTOR_ENDED',
      valueFrom: {
        configMapKeyRef: { name: endedMarkerName(name), key: 'outcome', optional: true },
      },
    },
  ];
  const shipping =
    options.shipping === undefined ? undefined : podShipping(name, options.shipping.workdir);
  for (const { name: key, value } of shipping?.env ?? []) {
    env.push({ name: key, value: escapeEnvValue(value) });
  }
  const podSpec = {
    restartPolicy: 'Never',
    // The script ends at once on SIGTERM; the grace period only bounds a stuck container.
    terminationGracePeriodSeconds: 10,
    containers: [
      {
        name: CONTAINER_NAME,
        image: imageId,
        imagePullPolicy: 'IfNotPresent',
        command: ['bash', '-c', CONTAINER_SCRIPT, 'konduktor'],
        ...(options.envSecrets === undefined || options.envSecrets.length === 0
          ? {}
          : { envFrom: options.envSecrets.map((secret) => ({ secretRef: { name: secret } })) }),
        env,
        resources: { requests: quantities, limits: quantities },
        volumeMounts: [
          { name: 'konduktor-output', mountPath: OUTPUT_DIR },
          ...(shipping === undefined ? [] : [shipping.volumeMount]),
        ],
        terminationMessagePath: TERMINATION_PATH,
        terminationMessagePolicy: 'File',
      },
    ],
    volumes: [
      { name: 'konduktor-output', emptyDir: {} },
      ...(shipping === undefined ? [] : [shipping.volume]),
    ],
    ...(gpus > 0
      ? {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        }
      : {}),
  };
  return {
    apiVersion: `${JOBSET_API.group}/${JOBSET_API.version}`,
    kind: 'JobSet',
    metadata: {
      name,
      namespace,
      labels: { ...spec.resources.labels, ...ownLabels },
      annotations: {
        [ANNOTATIONS.resources]: resourceSummary(spec),
        [ANNOTATIONS.resultLimit]: String(limit),
        ...(options.submittedAt === undefined
          ? {}
          : { [ANNOTATIONS.submittedAt]: options.submittedAt.toISOString() }),
        ...(options.shipping === undefined ? {} : { [ANNOTATIONS.code]: options.shipping.summary }),
      },
    },
    spec: {
      ...(maxRestarts > 0 ? { failurePolicy: { maxRestarts } } : {}),
      ttlSecondsAfterFinished: options.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      replicatedJobs: [
        {
          name: REPLICATED_JOB,
          replicas: 1,
          template: {
            metadata: { labels: ownLabels },
            spec: {
              parallelism: spec.numNodes,
              completions: spec.numNodes,
              completionMode: 'Indexed',
              backoffLimit: 0,
              // Otherwise the Job controller counts a pod deleted before the kubelet posted its
              // phase as failed: one deleted the instant it ended (a cleanup, the recorder's
              // user) made the JobSet fail although it succeeded. With `Failed` it waits for
              // the deleted pod's terminal phase (Kubernetes ≥ 1.29; GA in 1.34).
              podReplacementPolicy: 'Failed',
              template: { metadata: { labels: ownLabels }, spec: podSpec },
            },
          },
        },
      ],
    },
  };
}
