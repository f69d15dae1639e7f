/**
 * What each node of a job asked for, as {@link JobInfo.resources} gives it: structured, from one
 * function for both backends, and written down (in the local store, in a Kubernetes annotation)
 * as one summary text, `2x(1CPU, 1GiB, H100:2)`, which {@link parseResources} reads back (rows
 * and JobSets written before the structure existed carry the same text).
 * @module
 */
import type { TaskSpec } from '../task/types.js';

/** A job's per-node request. */
export interface JobResources {
  /** CPUs per node; absent when the task named none and the backend applies no default. */
  readonly cpus?: number;
  /** Memory per node in GiB; absent likewise. */
  readonly memory?: number;
  /** Accelerators per node. */
  readonly accelerators?: { readonly name: string; readonly count: number };
}

/**
 * The request of a task: its `resources`, with `defaults` for what it leaves out (the local
 * backend's 1 CPU and 1 GiB, which its admission counts; Kubernetes sets none).
 */
export function jobResourcesOf(
  spec: TaskSpec,
  defaults: { readonly cpus?: number; readonly memory?: number } = {},
): JobResources {
  const cpus = spec.resources.cpus ?? defaults.cpus;
  const memory = spec.resources.memory ?? defaults.memory;
  const { accelerators } = spec.resources;
  return {
    ...(cpus === undefined ? {} : { cpus }),
    ...(memory === undefined ? {} : { memory }),
    ...(accelerators === undefined
      ? {}
      : { accelerators: { name: accelerators.name, count: accelerators.count } }),
  };
}

/** The summary text: `2x(1CPU, 1GiB)`, `1x(?CPU, ?GiB, H100:2)` where a request is absent. */
export function formatResources(numNodes: number, resources: JobResources): string {
  const parts = [`${resources.cpus ?? '?'}CPU`, `${resources.memory ?? '?'}GiB`];
  const { accelerators } = resources;
  if (accelerators !== undefined) parts.push(`${accelerators.name}:${accelerators.count}`);
  return `${numNodes}x(${parts.join(', ')})`;
}

/**
 * The request a summary text records (see {@link formatResources}); `{}` for a text that is not
 * one (an empty annotation), read as data from a store or a cluster.
 */
export function parseResources(text: string): JobResources {
  const match = /^\d+x\(([^,()]+)CPU, ([^,()]+)GiB(?:, ([^()]+):(\d+))?\)$/.exec(text);
  if (match === null) return {};
  const [, cpus, memory, name, count] = match;
  const number = (value: string | undefined): number | undefined => {
    const n = Number(value);
    return value === undefined || value === '?' || !Number.isFinite(n) ? undefined : n;
  };
  const cpuCount = number(cpus);
  const gib = number(memory);
  const accelerators = name === undefined ? undefined : number(count);
  return {
    ...(cpuCount === undefined ? {} : { cpus: cpuCount }),
    ...(gib === undefined ? {} : { memory: gib }),
    ...(name === undefined || accelerators === undefined
      ? {}
      : { accelerators: { name, count: accelerators } }),
  };
}
