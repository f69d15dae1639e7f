/**
 * Pod logs through the API: the last lines of a failing rank (for `JobFailedError.logTail`), and
 * `konduktor logs` (`--rank`, `--tail`, `-f`).
 * @module
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';

const LOG_TAIL_LINES = 20;

/** The last lines of a container's log, or none when it cannot be read. */
export async function readPodLogTail(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
  lines = LOG_TAIL_LINES,
): Promise<string[]> {
  try {
    const text = await core.readNamespacedPodLog({
      name: pod,
      namespace,
      container,
      tailLines: lines,
    });
    return splitLines(text);
  } catch {
    return [];
  }
}

function splitLines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** Options of {@link followPodLog}. */
export interface PodLogOptions {
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly namespace: string;
  readonly container: string;
  readonly rank: number;
  readonly follow: boolean;
  readonly tail?: number;
  readonly signal?: AbortSignal;
  /** The pod of the rank (undefined until it exists) and whether the job has ended. */
  readonly locate: () => Promise<{ pod: string | undefined; ended: boolean }>;
  /** Wakes the caller when the job changes (pods appear, the job ends). */
  readonly subscribe: (listener: () => void) => () => void;
}

/**
 * The log lines of one rank. Without `follow`, what the log holds now (nothing before the pod
 * starts). With `follow`, waits for the pod, streams until its container ends, and returns.
 */
export async function* followPodLog(options: PodLogOptions): AsyncGenerator<string> {
  const { core, namespace, container, signal } = options;
  if (!options.follow) {
    const { pod } = await options.locate();
    if (pod === undefined) return;
    let text: string;
    try {
      text = await core.readNamespacedPodLog({
        name: pod,
        namespace,
        container,
        ...(options.tail === undefined ? {} : { tailLines: options.tail }),
      });
    } catch {
      return; // not started yet, or gone
    }
    yield* splitLines(text);
    return;
  }
  // Follow: wait until the pod's container has started (the log API refuses before).
  let wake: () => void = () => undefined;
  const unsubscribe = options.subscribe(() => {
    wake();
  });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { pod, ended } = await options.locate();
      if (pod !== undefined) {
        const stream = new PassThrough();
        let controller: AbortController | undefined;
        const onAbort = (): void => {
          controller?.abort();
          stream.end();
        };
        try {
          controller = await new k8s.Log(options.kc).log(namespace, pod, container, stream, {
            follow: true,
            ...(options.tail === undefined ? {} : { tailLines: options.tail }),
          });
        } catch {
          controller = undefined;
        }
        if (controller !== undefined) {
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const line of createInterface({ input: stream })) yield line;
          } finally {
            signal?.removeEventListener('abort', onAbort);
            controller.abort();
          }
          signal?.throwIfAborted();
          return;
        }
      }
      if (ended) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 2000);
        function done(): void {
          clearTimeout(timer);
          wake = () => undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    unsubscribe();
  }
}
