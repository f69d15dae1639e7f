/**
 * Who may talk to the dashboard. Three rules:
 *
 * 1. **Host**: a request whose `Host` header is not the served address is refused, so a web page
 *    whose domain was re-pointed at 127.0.0.1 (DNS rebinding) cannot read the API.
 * 2. **Token**: a random token made per run. State-changing requests (POST) must carry it in the
 *    `X-Konduktor-Token` header, which a cross-origin page cannot send without a CORS preflight
 *    the server never grants; a POST whose `Origin` is another site is refused as well. The page
 *    gets the token inside the HTML it is served; scripts from the line `konduktor dashboard`
 *    prints on stderr at start. A POST without the token is refused even from loopback with no
 *    `Origin`: a browser's request cannot always be told from a script's by that alone.
 * 3. **Not loopback**: when served on another address (`--host`), every request needs the token
 *    (header, `?token=` in the URL printed at start, or the cookie set when that URL is opened).
 *
 * No answer carries `Access-Control-Allow-Origin`: no other origin may read anything.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http.js';

/** The header that carries the token, as Node spells incoming headers (lower case). */
export const TOKEN_HEADER = 'x-konduktor-token';
/** The same header as people and docs spell it. */
export const TOKEN_HEADER_NAME = 'X-Konduktor-Token';
/** The cookie that carries the token on a non-loopback server. */
export const TOKEN_COOKIE = 'konduktor_token';

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return (
    bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.split('.')[0] === '127')
  );
}

/** True for the wildcard addresses (every interface). */
function isWildcard(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '0.0.0.0' || bare === '::';
}

/** `host:port` as a Host header spells it (IPv6 in brackets). */
export function hostHeader(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) === 6 ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** The rules for one running server. */
export class Guard {
  /** The per-run token. */
  readonly token: string;
  /** Whether every request needs the token (a non-loopback address). */
  readonly tokenOnEveryRequest: boolean;
  readonly #hosts: ReadonlySet<string> | undefined;

  /** `host` and `port` as served (the port actually bound). */
  constructor(host: string, port: number, token = randomBytes(24).toString('base64url')) {
    this.token = token;
    this.tokenOnEveryRequest = !isLoopback(host);
    if (isLoopback(host)) {
      this.#hosts = new Set([
        hostHeader(host, port),
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
      ]);
    } else if (isWildcard(host)) {
      // Every address of the machine is served, so any Host may be right; the token, required
      // on every request, is what keeps rebound pages out.
      this.#hosts = undefined;
    } else {
      this.#hosts = new Set([hostHeader(host, port)]);
    }
  }

  /** The origins a POST may come from (the served addresses). */
  #isOwnOrigin(origin: string, host: string): boolean {
    return origin === `http://${host}`;
  }

  /**
   * Checks a request; throws {@link HttpError} 403 when it is refused.
   * @param changesState true for requests that act on jobs.
   */
  check(req: IncomingMessage, changesState: boolean): void {
    const host = req.headers.host ?? '';
    if (this.#hosts !== undefined && !this.#hosts.has(host.toLowerCase())) {
      throw new HttpError(
        403,
        'HOST_REFUSED',
        `the Host header ${JSON.stringify(host)} is not this dashboard's address; open the URL the dashboard printed`,
      );
    }
    const origin = req.headers.origin;
    if (changesState && origin !== undefined && !this.#isOwnOrigin(origin, host)) {
      throw new HttpError(
        403,
        'ORIGIN_REFUSED',
        `requests from ${JSON.stringify(origin)} may not act on jobs`,
      );
    }
    if (changesState) {
      if (!this.#matches(header(req, TOKEN_HEADER))) {
        throw new HttpError(
          403,
          'TOKEN_REQUIRED',
          `acting on jobs needs the dashboard's token in the ${TOKEN_HEADER_NAME} header: \`konduktor dashboard\` prints it on stderr when it starts`,
        );
      }
      return;
    }
    if (this.tokenOnEveryRequest && !this.#hasToken(req)) {
      throw new HttpError(
        403,
        'TOKEN_REQUIRED',
        'this dashboard is served beyond loopback: open the URL with the token it printed',
      );
    }
  }

  /** True when the request carries the token anywhere a read may carry it. */
  #hasToken(req: IncomingMessage): boolean {
    return (
      this.#matches(header(req, TOKEN_HEADER)) ||
      this.#matches(this.queryToken(req)) ||
      this.#matches(cookie(req, TOKEN_COOKIE))
    );
  }

  /** The `?token=` of the request's URL, if any. */
  queryToken(req: IncomingMessage): string | undefined {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  }

  #matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
