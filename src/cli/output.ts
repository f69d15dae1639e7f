/**
 * The CLI's output rules: stdout carries data only; progress, spinners and errors go to stderr;
 * colour and spinners only on a TTY and never with NO_COLOR.
 * @module
 */
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import pc from 'picocolors';
import { isKonduktorError } from '../errors.js';
import type { JobInfo } from '../backends/backend.js';

/** True when decorations (colour, spinner) may be written to stderr. */
export function isFancy(): boolean {
  // isatty, not process.stderr.isTTY: making the stream object costs ~2 ms of a short command.
  return isatty(2) && (process.env['NO_COLOR'] ?? '') === '';
}

/**
 * Writes to stdout or stderr with write(2) directly: the first touch of `process.stdout` builds a
 * stream (~2.5 ms on a pipe, a noticeable part of `status`). Writes to a pipe or file are
 * synchronous on Linux either way, so the order with `process.stdout.write` elsewhere holds. A
 * non-blocking descriptor that is full hands the rest to the stream; a reader that went away
 * (`konduktor status | head -1`) ends the output quietly.
 */
function writeAll(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw error;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(offset));
  }
}

const colors = pc.createColors(isFancy());

/** Colour helpers that are no-ops off a TTY. */
export const paint = colors;

/** Writes data to stdout. */
export function out(text: string): void {
  writeAll(1, text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes a message for people to stderr. */
export function info(text: string): void {
  writeAll(2, `${text}\n`);
}

/** Formats an error for stderr: `error[CODE]: message`, then its causes. */
export function formatError(error: unknown): string {
  const lines: string[] = [];
  if (isKonduktorError(error)) {
    lines.push(`${colors.red(`error[${error.code}]`)}: ${error.message}`);
  } else if (error instanceof Error) {
    lines.push(`${colors.red('error')}: ${error.message}`);
  } else {
    lines.push(`${colors.red('error')}: ${String(error)}`);
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
export function errorJson(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { code: 'UNKNOWN', message: String(error) };
  const data: Record<string, unknown> = {
    code: isKonduktorError(error) ? error.code : error.name,
    message: error.message,
  };
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'code' && key !== 'message' && key !== 'stack') data[key] = value;
  }
  return data;
}
