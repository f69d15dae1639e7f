/**
 * HTTP plumbing of the dashboard: JSON answers, the JSON error body with an HTTP status per error
 * code, and Server-Sent Events streams.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { isKonduktorError } from '../errors.js';
import type { ErrorView } from './types.js';
import { errorView } from './views.js';

/** An error of the HTTP layer itself (no route, refused host, missing token). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** Headers every answer carries: nothing cached, sniffed, framed or shared across origins. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The HTTP status for an error: 404 for unknown jobs, 400 for bad input, 409 for an action the
 * job's state does not allow, 503 for the backend.
 */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (!isKonduktorError(error)) return 500;
  switch (error.code) {
    case 'JOB_NOT_FOUND':
      return 404;
    case 'USAGE':
    case 'TASK_INVALID':
    case 'CONFIG_INVALID':
      return 400;
    case 'STATE_CONFLICT':
      return 409;
    case 'BACKEND_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** The JSON body of an error: `{"error": {name, code, message, ...fields}}`. */
export function errorBody(error: unknown): { error: ErrorView } {
  if (error instanceof HttpError) {
    return { error: { name: error.name, code: error.code, message: error.message } };
  }
  return { error: errorView(error) };
}

/** Answers with the error as JSON (or ends the response if headers were already sent). */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, statusOf(error), errorBody(error));
}

/** A Server-Sent Events stream on a response. */
export class EventStream {
  readonly #res: ServerResponse;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    // A browser reconnects after this long when the stream breaks.
    res.write('retry: 1000\n\n');
    // Comments keep idle connections (and proxies) from timing out.
    this.#heartbeat = setInterval(() => {
      this.comment('keep-alive');
    }, 15_000);
    res.on('close', () => {
      this.#closed = true;
      clearInterval(this.#heartbeat);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event whose data is already JSON text (one line). */
  sendRaw(event: string, json: string): void {
    if (this.#closed) return;
    this.#res.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  /** Sends one event with `data` as JSON. */
  send(event: string, data: unknown): void {
    this.sendRaw(event, JSON.stringify(data));
  }

  comment(text: string): void {
    if (!this.#closed) this.#res.write(`: ${text}\n\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#res.end();
  }
}
