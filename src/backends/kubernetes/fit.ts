/**
 * Whether any node of the cluster could ever hold one of a job's pods. The local backend refuses
 * a job that can never fit this machine; on Kubernetes a node may still join (an autoscaler, an
 * operator), so konduktor warns instead of refusing, naming what the largest node offers.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import type { TaskSpec } from '../../task/types.js';

/** What one pod asks for: CPUs, memory in GiB, GPUs (`nvidia.com/gpu`). */
export interface PodDemand {
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly gpus: number;
}

/** What one node can allocate to pods, in the units of {@link PodDemand}. */
export interface NodeAllocatable extends PodDemand {
  readonly name: string;
}

const GIB = 1024 ** 3;

/** A quantity (`1500m`, `16367164Ki`, `24Gi`) as a number; 0 when absent or unreadable. */
function scalar(quantity: string | undefined): number {
  if (quantity === undefined) return 0;
  try {
    return Number(quantityToScalar(quantity));
  } catch {
    return 0;
  }
}

/** The parts of a Node read here (a `V1Node` is one). */
export interface NodeShape {
  readonly metadata?: { readonly name?: string };
  readonly status?: { readonly allocatable?: Readonly<Record<string, string>> };
}

/** Each node's allocatable CPUs, GiB and GPUs (cordoned nodes included: they may come back). */
export function nodeAllocatables(nodes: readonly NodeShape[]): NodeAllocatable[] {
  return nodes.map((node) => {
    const allocatable = node.status?.allocatable ?? {};
    return {
      name: node.metadata?.name ?? '',
      cpus: scalar(allocatable['cpu']),
      memoryGiB: scalar(allocatable['memory']) / GIB,
      gpus: scalar(allocatable['nvidia.com/gpu']),
    };
  });
}

/** One pod's demand under konduktor's Kubernetes defaults (1 CPU, 1 GiB, no GPU). */
export function podDemandOf(spec: TaskSpec): PodDemand {
  const { cpus = 1, memory = 1, accelerators } = spec.resources;
  return { cpus, memoryGiB: memory, gpus: accelerators?.count ?? 0 };
}

function fits(demand: PodDemand, node: PodDemand): boolean {
  // Quantities are rounded up into millicores and MiB: a hair's difference is not a refusal.
  const slack = 1e-6;
  return (
    demand.cpus <= node.cpus + slack &&
    demand.memoryGiB <= node.memoryGiB + slack &&
    demand.gpus <= node.gpus
  );
}

function describe(resources: PodDemand): string {
  const gpus = resources.gpus > 0 ? `, ${resources.gpus} GPU` : '';
  return `${Number(resources.cpus.toFixed(3))} CPU, ${Number(resources.memoryGiB.toFixed(1))} GiB${gpus}`;
}

/**
 * Why no node can ever hold one pod of the demand, or undefined when one can (or there are no
 * nodes to judge by: a cluster whose nodes all come from an autoscaler).
 *
 * @example
 * whyNoNodeFits({ cpus: 64, memoryGiB: 1, gpus: 0 }, [{ name: 'n1', cpus: 2, memoryGiB: 23.4, gpus: 0 }]);
 * // 'each pod asks for 64 CPU, 1 GiB, and no node has that much allocatable (n1: 2 CPU, 23.4 GiB)'
 */
export function whyNoNodeFits(
  demand: PodDemand,
  nodes: readonly NodeAllocatable[],
): string | undefined {
  if (nodes.length === 0 || nodes.some((node) => fits(demand, node))) return undefined;
  const shown = [...nodes]
    .sort((a, b) => b.cpus - a.cpus || b.memoryGiB - a.memoryGiB)
    .slice(0, 3)
    .map((node) => `${node.name}: ${describe(node)}`);
  const more = nodes.length > shown.length ? `, and ${nodes.length - shown.length} more` : '';
  return `each pod asks for ${describe(demand)}, and no node has that much allocatable (${shown.join('; ')}${more})`;
}

/**
 * The warning for a task no current node can hold, or undefined when one can or the nodes cannot
 * be listed (a namespaced user is commonly not allowed to: then there is nothing to warn with).
 */
export async function placementWarning(
  core: k8s.CoreV1Api,
  spec: TaskSpec,
): Promise<string | undefined> {
  let nodes: NodeShape[];
  try {
    nodes = (await core.listNode()).items;
  } catch {
    return undefined;
  }
  const why = whyNoNodeFits(podDemandOf(spec), nodeAllocatables(nodes));
  return why === undefined
    ? undefined
    : `${why}: the job will stay PENDING until such a node joins the cluster (an autoscaler or an operator adds one); to run it now, lower resources.cpus / memory / accelerators`;
}
