/**
 * The `KonduktorResult` condition as the Python original's in-cluster controller writes it
 * (`reference-konduktor.md` §10), read into konduktor's {@link Outcome}, so that `konduktor result`
 * reads a JobSet the original launched. Pure.
 *
 * | reason | message (JSON) |
 * |---|---|
 * | `Succeeded` | the user's value itself, or `{"error":"NoResult"}` |
 * | `NoResult` | anything (konduktor's extra reason) |
 * | `ResultTooLarge` | `{"size":N}` |
 * | `MalformedResult` | `{"reason":"…"}` |
 * | `Failed` | `{"exit":N}`, or `{"error":"Failed","reason":"…"}` |
 *
 * The original's own in-band collision is kept as the original reads it: a real value
 * `{"error":"NoResult"}` under `Succeeded` is no result.
 * @module
 */
import { decodeResult } from '../../result/decode.js';
import type { Outcome } from '../../result/outcome.js';

/**
 * The original's size budget for a result, in characters (bash `${#var}`), which its
 * `ResultTooLarge` messages were measured against.
 */
export const ORIGINAL_RESULT_LIMIT = 3500;

/** The label the original puts on every JobSet it launches. */
export const ORIGINAL_MANAGED_LABEL = 'trainy.ai/konduktor-managed';

/** Who wrote it: the original's controller. Said in failure reasons, which carry no rank. */
const BY_ORIGINAL = '(recorded by the original konduktor controller)';

function parseObject(message: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isNoResultMarker(fields: Record<string, unknown> | undefined): boolean {
  return fields !== undefined && Object.keys(fields).length === 1 && fields['error'] === 'NoResult';
}

/**
 * The outcome a condition written by the original's controller records, or `undefined` when the
 * reason is not one of its set or the message is not in its format.
 *
 * @param attempt the attempt to attribute it to (the original records none: the JobSet's
 *   `status.restarts`)
 */
export function originalOutcome(
  reason: string | undefined,
  message: string,
  attempt: number,
): Outcome | undefined {
  const fields = parseObject(message);
  switch (reason) {
    case 'Succeeded': {
      if (isNoResultMarker(fields)) return { kind: 'no_result', attempt, detail: 'missing' };
      // The value itself: through the one decoder, as the bytes of a result.json would be.
      const decoded = decodeResult({ bytes: Buffer.from(message, 'utf8') }, Infinity);
      switch (decoded.kind) {
        case 'value':
          return { kind: 'value', attempt, text: decoded.text };
        case 'malformed':
          return { kind: 'malformed', attempt, parseError: decoded.parseError, head: decoded.head };
        default:
          return { kind: 'no_result', attempt, detail: 'empty' };
      }
    }
    case 'NoResult':
      return { kind: 'no_result', attempt, detail: 'missing' };
    case 'ResultTooLarge': {
      const size = fields?.['size'];
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) return undefined;
      return { kind: 'too_large', attempt, size, limit: ORIGINAL_RESULT_LIMIT };
    }
    case 'MalformedResult': {
      const why = fields?.['reason'];
      return {
        kind: 'malformed',
        attempt,
        parseError: typeof why === 'string' ? why : 'the result is not valid JSON',
        head: '',
      };
    }
    case 'Failed': {
      const exit = fields?.['exit'];
      if (typeof exit === 'number' && Number.isInteger(exit))
        return {
          kind: 'failed',
          reason: `the job exited with code ${exit} ${BY_ORIGINAL}`,
          exitCode: exit,
          attempt,
          logTail: [],
        };
      const why = fields?.['reason'];
      return {
        kind: 'failed',
        reason: typeof why === 'string' ? `${why} ${BY_ORIGINAL}` : `the job failed ${BY_ORIGINAL}`,
        attempt,
        logTail: [],
      };
    }
    default:
      return undefined;
  }
}
