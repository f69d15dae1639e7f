/**
 * Admission on the local backend: which queued jobs start now. A pure function over the
 * capacity, what running jobs hold, and the queue in order, so it is unit-tested alone; the store
 * applies its decisions in one transaction, so concurrent konduktor processes never over-admit.
 *
 * Rules: a job starts only when all its ranks fit together (gang admission); the queue is served
 * in order (priority, then first-in first-out) and strictly: a job that does not fit yet blocks
 * the ones behind it, so a large job is never starved by a stream of small ones.
 * @module
 */

/** What this machine offers. */
export interface Capacity {
  /** CPUs. */
  readonly cpus: number;
  /** Memory in GiB. */
  readonly memory: number;
  /** GPU indices (as `CUDA_VISIBLE_DEVICES` numbers them). */
  readonly gpus: readonly number[];
}

/** What one job asks for: per node, times its nodes. */
export interface Demand {
  readonly nodes: number;
  readonly cpus: number;
  readonly memory: number;
  readonly gpus: number;
}

/** A job holding resources. */
export interface Holder {
  readonly demand: Demand;
  /** GPU indices per rank. */
  readonly gpus: readonly (readonly number[])[];
}

/** A queued job, in queue order. */
export interface Waiter {
  readonly name: string;
  readonly demand: Demand;
}

/** The decision for the queue. */
export interface AdmissionPlan {
  /** Jobs to start now, with the GPU indices of each rank. */
  readonly admit: readonly { readonly name: string; readonly gpus: number[][] }[];
  /** Why each remaining job waits, with its 1-based queue position. */
  readonly waiting: ReadonlyMap<string, { readonly position: number; readonly reason: string }>;
}

/** The resources in use by `holders`. */
export function usage(holders: readonly Holder[]): {
  cpus: number;
  memory: number;
  gpus: Set<number>;
} {
  const used = { cpus: 0, memory: 0, gpus: new Set<number>() };
  for (const holder of holders) {
    used.cpus += holder.demand.cpus * holder.demand.nodes;
    used.memory += holder.demand.memory * holder.demand.nodes;
    for (const rank of holder.gpus) for (const gpu of rank) used.gpus.add(gpu);
  }
  return used;
}

// Sums of fractional CPUs (0.1 + 0.2) must not refuse a job that fits exactly.
const EPSILON = 1e-9;

/** Why `demand` can never fit `capacity`, or undefined when it can. */
export function neverFits(demand: Demand, capacity: Capacity): string | undefined {
  const nodes = demand.nodes === 1 ? '' : ` × ${demand.nodes} nodes`;
  if (demand.cpus * demand.nodes > capacity.cpus + EPSILON) {
    return `asks for ${demand.cpus} CPU${nodes}, but the local capacity is ${capacity.cpus} CPUs`;
  }
  if (demand.memory * demand.nodes > capacity.memory + EPSILON) {
    return `asks for ${demand.memory} GiB${nodes}, but the local capacity is ${capacity.memory} GiB`;
  }
  if (demand.gpus * demand.nodes > capacity.gpus.length) {
    return `asks for ${demand.gpus} GPU${demand.gpus === 1 ? '' : 's'}${nodes}, but the local capacity is ${capacity.gpus.length} GPUs`;
  }
  return undefined;
}

/**
 * Decides which queued jobs start now. The queue is read in order; with `untilBlocked` it is read
 * only up to the first job that does not fit (then `waiting` holds that one job), which is all
 * admission needs: a long queue costs nothing per decision.
 *
 * @example
 * ```ts
 * planAdmission({ cpus: 4, memory: 16, gpus: [0, 1] }, [], [{ name: 'a', demand: { nodes: 1, cpus: 1, memory: 1, gpus: 1 } }]);
 * // { admit: [{ name: 'a', gpus: [[0]] }], waiting: Map {} }
 * ```
 */
export function planAdmission(
  capacity: Capacity,
  holders: readonly Holder[],
  queue: Iterable<Waiter>,
  options: { readonly untilBlocked?: boolean } = {},
): AdmissionPlan {
  const used = usage(holders);
  const admit: { name: string; gpus: number[][] }[] = [];
  const waiting = new Map<string, { position: number; reason: string }>();
  let blocked: string | undefined;
  for (const job of queue) {
    const { demand } = job;
    if (blocked === undefined) {
      const free = {
        cpus: capacity.cpus - used.cpus,
        memory: capacity.memory - used.memory,
        gpus: capacity.gpus.filter((gpu) => !used.gpus.has(gpu)),
      };
      const lacking = missing(demand, free);
      if (lacking === undefined) {
        const gpus: number[][] = [];
        for (let rank = 0; rank < demand.nodes; rank += 1) {
          gpus.push(free.gpus.slice(rank * demand.gpus, (rank + 1) * demand.gpus));
        }
        for (const rank of gpus) for (const gpu of rank) used.gpus.add(gpu);
        used.cpus += demand.cpus * demand.nodes;
        used.memory += demand.memory * demand.nodes;
        admit.push({ name: job.name, gpus });
        continue;
      }
      blocked = job.name;
      waiting.set(job.name, { position: waiting.size + 1, reason: `waiting for ${lacking}` });
      // Nothing behind a blocked job starts (first in, first out): admission need not read on.
      if (options.untilBlocked === true) break;
      continue;
    }
    waiting.set(job.name, { position: waiting.size + 1, reason: `queued behind ${blocked}` });
  }
  return { admit, waiting };
}

function missing(
  demand: Demand,
  free: { cpus: number; memory: number; gpus: readonly number[] },
): string | undefined {
  const lacks: string[] = [];
  const cpus = demand.cpus * demand.nodes;
  const memory = demand.memory * demand.nodes;
  const gpus = demand.gpus * demand.nodes;
  if (cpus > free.cpus + EPSILON)
    lacks.push(`${cpus} ${plural(cpus, 'CPU')} (${round(Math.max(0, free.cpus))} free)`);
  if (memory > free.memory + EPSILON)
    lacks.push(`${memory} GiB (${round(Math.max(0, free.memory))} free)`);
  if (gpus > free.gpus.length)
    lacks.push(`${gpus} ${plural(gpus, 'GPU')} (${free.gpus.length} free)`);
  return lacks.length === 0 ? undefined : lacks.join(', ');
}

/** `1 GPU`, `2 GPUs`, `0.5 CPU`: the plural for counts above one. */
function plural(count: number, unit: string): string {
  return count > 1 ? `${unit}s` : unit;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
