/**
 * Reading a container's log as it is now, through the API: the whole log, or its last lines
 * counted in the job's lines (the metric lines the wrapper put in taken out; a failing rank's
 * `JobFailedError.logTail`, `konduktor logs --tail`), and a log read with timestamps split into
 * the job's lines and the metric lines.
 * @module
 */
import type * as k8s from '@kubernetes/client-node';
import {
  hasMetricMarker,
  jobLines,
  PodLogDemux,
  type PodLogEntry,
  splitTimestamp,
} from './metric-markers.js';

/** How many lines {@link readPodLogTail} gives by default (a failing rank's `logTail`). */
const LOG_TAIL_LINES = 20;

/** Where a container's log is: its pod's namespace, and the container's name. */
export interface ContainerLogPlace {
  readonly core: k8s.CoreV1Api;
  readonly namespace: string;
  readonly container: string;
}

/** The last lines of a container's log (metric lines taken out), or none when it cannot be read. */
export async function readPodLogTail(
  core: k8s.CoreV1Api,
  namespace: string,
  pod: string,
  container: string,
  lines = LOG_TAIL_LINES,
): Promise<string[]> {
  try {
    return (await readJobTail({ core, namespace, container }, pod, lines)).lines;
  } catch {
    return [];
  }
}

/**
 * The job's last `lines` lines of a container's log: the log's tail without the metric lines the
 * wrapper put in, read again further back (doubling) while those crowd the job's lines out.
 * `rawLines` is how many lines of the log they span (for a follow that starts there), undefined
 * when they span the whole log.
 * @throws the API client's error when the log cannot be read (see `statusOf`).
 */
export async function readJobTail(
  place: ContainerLogPlace,
  pod: string,
  lines: number,
): Promise<{ lines: string[]; rawLines: number | undefined }> {
  const { core, namespace, container } = place;
  for (let asked = Math.max(lines, 1); ; asked *= 2) {
    const raw = splitLines(
      await core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: asked }),
    );
    const kept = jobLines(raw);
    if (kept.length >= lines || raw.length < asked) {
      // How far back the last `lines` job lines begin, in lines of the log (a line with a
      // marker is not one of the job's).
      let rawLines = 0;
      for (let seen = 0; rawLines < raw.length && seen < lines; rawLines += 1) {
        if (!hasMetricMarker(raw[raw.length - 1 - rawLines] ?? '')) seen += 1;
      }
      return {
        lines: kept.slice(Math.max(0, kept.length - lines)),
        rawLines: raw.length < asked ? undefined : rawLines,
      };
    }
  }
}

/** A log's text as lines, without the empty string after its last newline. */
export function splitLines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/**
 * A whole container log as text, with the API's timestamps when asked.
 * @throws the API client's error when the log cannot be read (see `statusOf`).
 */
export async function readLog(
  place: ContainerLogPlace,
  pod: string,
  timestamps: boolean,
): Promise<string> {
  return place.core.readNamespacedPodLog({
    name: pod,
    namespace: place.namespace,
    container: place.container,
    ...(timestamps ? { timestamps: true } : {}),
  });
}

/** A container log read with timestamps, split into the job's lines and the metric lines. */
export function demuxTimestamped(text: string): PodLogEntry[] {
  const demux = new PodLogDemux();
  const entries: PodLogEntry[] = [];
  for (const line of splitLines(text)) {
    const { time, text: rest } = splitTimestamp(line);
    entries.push(...demux.take(rest, time));
  }
  entries.push(...demux.end());
  return entries;
}
