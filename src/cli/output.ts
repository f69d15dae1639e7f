/**
 * The CLI's output rules: stdout carries data only; progress, spinners and errors go to stderr;
 * colour and spinners only on a TTY and never with NO_COLOR.
 * @module
 */
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import pc from 'picocolors';
import { asKonduktorError, InternalError, isKonduktorError } from '../errors.js';
import type { JobInfo } from '../backends/backend.js';
import { stringifyJson } from '../result/raw-json.js';
import { outcomeWord, type OutcomeWord } from '../result/render.js';
import { type ExitCode, ExitCodes, exitCodeOf } from './exit-codes.js';
import { type CliIo, currentRun, PROCESS_SIGNALS } from './io.js';

/** True when decorations (colour, spinner) may be written to stderr. */
export function isFancy(): boolean {
  const run = currentRun();
  if (run !== undefined && run.io !== PROCESS_IO) return run.io.fancy === true;
  // isatty, not process.stderr.isTTY: making the stream object costs ~2 ms of a short command.
  return isatty(2) && (process.env['NO_COLOR'] ?? '') === '';
}

/**
 * Raised by {@link out} when the reader of stdout went away (`konduktor logs JOB | head -1`):
 * unwinding the command ends it, and {@link reportFatal} ends the process quietly with exit 0.
 */
export class OutputClosedError extends Error {
  constructor() {
    super('the reader of stdout went away');
    this.name = 'OutputClosedError';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes to stdout or stderr with write(2) directly: the first touch of `process.stdout` builds a
 * stream (~2.5 ms on a pipe, a noticeable part of `status`), and a synchronous write keeps the
 * order of every line and lets a closed reader be noticed where the data is written. A
 * non-blocking descriptor that is full is retried after a moment (a slow reader). A reader of
 * stdout that went away raises {@link OutputClosedError}; one of stderr loses the message.
 */
function writeAll(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if (code !== 'EPIPE') throw error;
      if (fd === 1) throw new OutputClosedError();
      return;
    }
  }
}

/**
 * Reports an error that ended a command on stderr and returns the exit code; a closed stdout ends
 * the command quietly with exit 0, as `status | head -1` always did.
 */
export function reportFatal(error: unknown, json?: JsonEnvelopeContext): ExitCode {
  if (error instanceof OutputClosedError) return ExitCodes.SUCCESS;
  info(formatError(error));
  const code = exitCodeOf(error);
  if (json !== undefined) {
    try {
      out(stringifyJson(errorEnvelope(error, json.job)));
    } catch (closed) {
      if (!(closed instanceof OutputClosedError)) throw closed;
    }
  }
  return code;
}

/**
 * What a `--json` command knows when an error ends it: given, {@link reportFatal} also prints the
 * one envelope a program reading stdout expects, whatever the error.
 */
export interface JsonEnvelopeContext {
  /** The job the command was about, when it names one (`result JOB`). */
  readonly job?: string | undefined;
}

/**
 * The `--json` envelope of an error that ended a command: `{job?, outcome, error: {code,
 * message, ...}}`, the shape `launch --wait --json` and `result --json` print for a failed wait.
 */
export function errorEnvelope(error: unknown, job?: string): Record<string, unknown> {
  return {
    ...(job === undefined ? {} : { job }),
    outcome: outcomeWordOf(error),
    error: errorJson(error),
  };
}

/**
 * The envelope's `outcome` word for the error a command or a wait ended with: the outcome it
 * reports (`failed`, `no_result`, …), `timeout`, `interrupted`, or `error`.
 */
export function outcomeWordOf(error: unknown): OutcomeWord {
  return isAbort(error) ? 'interrupted' : outcomeWord(asKonduktorError(error).code);
}

const fancyColors = pc.createColors(true);
const plainColors = pc.createColors(false);

/** Colour helpers that are no-ops off a TTY (asked per call: each run has its own stderr). */
export const paint = new Proxy(plainColors, {
  get: (_target, key: keyof typeof plainColors) => (isFancy() ? fancyColors : plainColors)[key],
});
const colors = paint;

/**
 * Writes data to stdout, ending it with a newline.
 * @throws {OutputClosedError} when the reader went away.
 */
export function out(text: string): void {
  outExact(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Writes data to stdout exactly as given.
 * @throws {OutputClosedError} when the reader went away.
 */
export function outExact(text: string): void {
  (currentRun()?.io ?? PROCESS_IO).stdout(text);
}

/** True for an abort that is not konduktor's own (`AbortController.abort()` without a reason). */
function isAbort(error: unknown): error is Error {
  return error instanceof Error && error.name === 'AbortError' && !isKonduktorError(error);
}

/** Writes a message for people to stderr. */
export function info(text: string): void {
  (currentRun()?.io ?? PROCESS_IO).stderr(`${text}\n`);
}

/** The process's own io: stdout and stderr written with write(2), its environment and signals. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => {
    writeAll(1, text);
  },
  stderr: (text) => {
    writeAll(2, text);
  },
  get env() {
    return process.env;
  },
  signals: PROCESS_SIGNALS,
  get interactive() {
    return process.stdin.isTTY;
  },
  get fancy() {
    return isatty(2) && (process.env['NO_COLOR'] ?? '') === '';
  },
};

/**
 * Formats an error for stderr: `error[CODE]: message`, then its causes. An error konduktor did
 * not raise is shown as what it is (a bug as `INTERNAL`, with its stack; an error of the
 * environment as `BACKEND_UNAVAILABLE`); an abort keeps its own words.
 */
export function formatError(error: unknown): string {
  const lines: string[] = [];
  const shown = isAbort(error) ? error : asKonduktorError(error);
  if (isKonduktorError(shown)) {
    lines.push(`${colors.red(`error[${shown.code}]`)}: ${shown.message}`);
  } else {
    lines.push(`${colors.red('error')}: ${shown.message}`);
  }
  if (shown instanceof InternalError && error instanceof Error && error.stack !== undefined) {
    // A bug report needs where it happened.
    lines.push(...error.stack.split('\n').filter((line) => /^\s+at /.test(line)));
    return lines.join('\n');
  }
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth += 1) {
    lines.push(`  caused by: ${cause instanceof Error ? cause.message : JSON.stringify(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.join('\n');
}

/** A status word, coloured on a TTY. */
export function paintStatus(status: JobInfo['status']): string {
  switch (status) {
    case 'PENDING':
      return colors.yellow(status);
    case 'RUNNING':
      return colors.cyan(status);
    case 'STOPPED':
      return colors.blue(status);
    case 'SUCCEEDED':
      return colors.green(status);
    case 'FAILED':
      return colors.red(status);
    case 'CANCELLED':
      return colors.magenta(status);
  }
}

/** The error as plain JSON data for `--json` output. */
export function errorJson(thrown: unknown): Record<string, unknown> {
  const error = isAbort(thrown) ? thrown : asKonduktorError(thrown);
  const data: Record<string, unknown> = {
    code: isKonduktorError(error) ? error.code : error.name,
    message: error.message,
  };
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'code' && key !== 'message' && key !== 'stack') data[key] = value;
  }
  return data;
}
