/**
 * Every way an outcome becomes text, in one place: the error message a wait raises
 * ({@link outcomeMessage}), the line a sweep keeps as a trial's reason ({@link outcomeLine}),
 * the cell `konduktor status` shows ({@link outcomeCell}), and the word a `--json` envelope
 * names it by ({@link outcomeWord}). Each takes the facts of the outcome, whether they come from
 * a recorded `Outcome` or from the error a wait raised, so no reader re-derives an outcome
 * from an exit code or a message. Pure: no I/O.
 * @module
 */
import type { ErrorCode } from '../errors/base.js';
import type { JobFailure } from '../errors/outcome.js';
import { describeFound, type FoundInstead, type NoResultDetail } from './decode.js';
import type { OutcomeKind } from './outcome.js';

/**
 * The facts of an outcome that its texts need: a recorded `Outcome` (each is one), or an outcome
 * error's fields.
 */
export type OutcomeFacts =
  | { readonly kind: 'value'; readonly text: string }
  | {
      readonly kind: 'no_result';
      readonly detail: NoResultDetail;
      readonly found?: FoundInstead | undefined;
      readonly logTail?: readonly string[] | undefined;
    }
  | { readonly kind: 'malformed'; readonly parseError: string; readonly head: string }
  | { readonly kind: 'too_large'; readonly size: number; readonly limit: number }
  | ({ readonly kind: 'failed' } & Omit<JobFailure, 'attempt'>);

/** How a wait for a result ended, as a `--json` envelope's `outcome` says it. */
export type OutcomeWord = OutcomeKind | 'timeout' | 'interrupted' | 'error';

const WORD_BY_CODE: Readonly<Partial<Record<ErrorCode, OutcomeWord>>> = {
  JOB_FAILED: 'failed',
  NO_RESULT_REPORTED: 'no_result',
  RESULT_MALFORMED: 'malformed',
  RESULT_TOO_LARGE: 'too_large',
  RESULT_TIMEOUT: 'timeout',
  INTERRUPTED: 'interrupted',
};

/** The envelope word of the error a wait ended with (`error` for one that is no outcome). */
export function outcomeWord(code: ErrorCode): OutcomeWord {
  return WORD_BY_CODE[code] ?? 'error';
}

/**
 * The error message of an outcome that is not a value, naming the job and what to do, with the
 * failing rank's last log lines.
 */
export function outcomeMessage(
  jobName: string,
  facts: Exclude<OutcomeFacts, { kind: 'value' }>,
): string {
  switch (facts.kind) {
    case 'failed':
      return `job ${jobName} failed: ${facts.reason}${logTailText(facts.rank ?? 0, facts.logTail)}`;
    case 'no_result': {
      const { detail, found } = facts;
      const what =
        found !== undefined
          ? `no readable result: result.json is ${describeFound(found)}`
          : detail === 'missing' || detail === 'not_a_file'
            ? 'no result.json'
            : `a result.json that is ${detail === 'empty' ? 'empty' : 'only whitespace'}`;
      return `job ${jobName} succeeded with ${what}; rank 0 must write one JSON document to "$KONDUKTOR_OUTPUT_DIR/result.json"${logTailText(0, facts.logTail ?? [])}`;
    }
    case 'malformed':
      return `job ${jobName} wrote a result that is not JSON: ${facts.parseError}; it begins ${JSON.stringify(facts.head)}`;
    case 'too_large':
      return (
        `job ${jobName} wrote a result of ${facts.size} bytes, over the limit of ${facts.limit} bytes; ` +
        'report a smaller document, for example a pointer to a file holding the large data'
      );
  }
}

/** One line for a trial's reason (sweep tables, CSV, `sweep status`): what came out, not the job. */
export function outcomeLine(facts: OutcomeFacts): string {
  switch (facts.kind) {
    case 'value':
      return facts.text;
    case 'failed': {
      const last = facts.logTail.at(-1);
      return `job failed: ${facts.reason}${last === undefined ? '' : ` (last log line: ${last.slice(0, 200)})`}`;
    }
    case 'no_result':
      return `no result reported (result.json ${facts.found === undefined ? facts.detail : `is ${describeFound(facts.found)}`})`;
    case 'malformed':
      return `malformed result: ${facts.parseError}`;
    case 'too_large':
      return `result too large: ${facts.size} bytes, limit ${facts.limit}`;
  }
}

/** A few words for a table cell (`konduktor status`'s RESULT): the value, or what went wrong. */
export function outcomeCell(facts: OutcomeFacts): string {
  switch (facts.kind) {
    case 'value':
      return facts.text;
    case 'no_result':
      return 'no result';
    case 'malformed':
      return 'malformed result';
    case 'too_large':
      return `result too large (${facts.size} B)`;
    case 'failed':
      if (facts.rank === undefined) return facts.reason;
      return facts.signal !== undefined
        ? `rank ${facts.rank} ${facts.signal}`
        : `rank ${facts.rank} exit ${facts.exitCode ?? '?'}${facts.phase === 'setup' ? ' in setup' : ''}`;
  }
}

/** A log tail as it ends an error message (nothing when there are no lines). */
function logTailText(rank: number, lines: readonly string[]): string {
  return lines.length === 0
    ? ''
    : `\nlast log lines of rank ${rank}:\n${lines.map((l) => `  | ${l}`).join('\n')}`;
}
