/**
 * The parts of a JobSet and a pod konduktor reads, as plain data (the API's JSON). Pods are typed
 * by hand rather than with the client's classes so that the pure modules never load the client.
 * @module
 */

/** A `metav1.Condition`. */
export interface ConditionObject {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string | Date;
}

/** Object metadata. */
export interface MetaObject {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string | Date;
  readonly deletionTimestamp?: string | Date;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A JobSet as konduktor reads it. */
export interface JobSetObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: MetaObject;
  readonly spec?: {
    readonly suspend?: boolean;
    /** Seconds the JobSet controller keeps it after it turns Completed or Failed. */
    readonly ttlSecondsAfterFinished?: number;
    readonly failurePolicy?: { readonly maxRestarts?: number };
    readonly replicatedJobs?: readonly {
      readonly name?: string;
      readonly template?: { readonly spec?: { readonly parallelism?: number } };
    }[];
  };
  readonly status?: {
    readonly terminalState?: string;
    readonly restarts?: number;
    /** Restarts that count towards `failurePolicy.maxRestarts` (JobSet ≥ 0.8); `restarts` before. */
    readonly restartsCountTowardsMax?: number;
    readonly conditions?: readonly ConditionObject[];
    readonly replicatedJobsStatus?: readonly {
      readonly name?: string;
      readonly ready?: number;
      readonly active?: number;
      readonly succeeded?: number;
      readonly failed?: number;
      readonly suspended?: number;
    }[];
  };
}

/** A container state. */
export interface ContainerStateObject {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string | Date };
  readonly terminated?: {
    readonly exitCode: number;
    readonly signal?: number;
    readonly reason?: string;
    readonly message?: string;
    readonly startedAt?: string | Date;
    readonly finishedAt?: string | Date;
  };
}

/** A pod as konduktor reads it. */
export interface PodObject {
  readonly metadata?: MetaObject;
  readonly spec?: {
    /** The node the pod was bound to: set once the scheduler placed it. */
    readonly nodeName?: string;
    readonly containers?: readonly { readonly name?: string }[];
    readonly initContainers?: readonly { readonly name?: string }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly startTime?: string | Date;
    readonly conditions?: readonly ConditionObject[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly state?: ContainerStateObject;
      readonly lastState?: ContainerStateObject;
    }[];
  };
}
