/**
 * The local machine's capacity: CPUs and memory from the OS, GPUs from `nvidia-smi` where it
 * exists, each overridable in `$KONDUKTOR_HOME/config.yaml`:
 *
 * ```yaml
 * local:
 *   capacity:
 *     cpus: 8
 *     memory: 64        # GiB
 *     gpus: 2           # a count (indices 0..1), or a list of indices: [0, 2]
 * ```
 * @module
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import type { TaskSpec } from '../../task/types.js';
import type { Capacity, Demand } from './admission.js';
import { readUserConfig } from '../../config.js';

/** Default per-node request of a task that names no resources. */
export const DEFAULT_CPUS = 1;
/** Default per-node memory in GiB of a task that names none. */
export const DEFAULT_MEMORY_GIB = 1;

let discoveredGpus: number[] | undefined;

/** GPU indices reported by `nvidia-smi`; none when it is missing or fails. */
function discoverGpus(): number[] {
  if (discoveredGpus !== undefined) return discoveredGpus;
  try {
    const text = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    discoveredGpus = text
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((index) => Number.isInteger(index) && index >= 0);
  } catch {
    discoveredGpus = [];
  }
  return discoveredGpus;
}

/** The capacity in effect for a konduktor home: the config's values over the discovered ones. */
export function localCapacity(home: string, override?: Partial<Capacity>): Capacity {
  const configured = readUserConfig(home).local?.capacity ?? {};
  const gpus = override?.gpus ?? configured.gpus;
  return {
    cpus: override?.cpus ?? configured.cpus ?? availableParallelism(),
    memory: override?.memory ?? configured.memory ?? Math.floor(totalmem() / 2 ** 30),
    gpus:
      gpus === undefined
        ? discoverGpus()
        : typeof gpus === 'number'
          ? Array.from({ length: gpus }, (_, i) => i)
          : [...gpus],
  };
}

/** What a task asks for, with the local defaults filled in. */
export function demandOf(spec: TaskSpec): Demand {
  return {
    nodes: spec.numNodes,
    cpus: spec.resources.cpus ?? DEFAULT_CPUS,
    memory: spec.resources.memory ?? DEFAULT_MEMORY_GIB,
    gpus: spec.resources.accelerators?.count ?? 0,
  };
}
