/**
 * `konduktor dashboard`'s server: `node:http`, the page (built into `dist/ui/` by
 * `npm run build`, shipped in the package, no network needed), the JSON API and the live
 * channel. See `docs/dashboard.md`.
 *
 * @example
 * ```ts
 * const dashboard = await startDashboard({ backend: await resolveBackend('local') });
 * console.error(`open ${dashboard.url}`);
 * // …
 * await dashboard.close();
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backends/backend.js';
import { LocalBackend } from '../backends/local/local-backend.js';
import { changesState, handleApi } from './api.js';
import { BackendSource } from './backend-source.js';
import { COMMON_HEADERS, HttpError, sendError } from './http.js';
import { LiveHub } from './live.js';
import { LocalSource } from './local-source.js';
import { Guard, hostHeader, TOKEN_COOKIE } from './security.js';
import type { DashboardSource } from './source.js';
import { SweepSource } from './sweep-source.js';

/** Where `npm run build` puts the page (the same path from `src/dashboard/` and `dist/dashboard/`). */
export const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/** The default port. */
export const DEFAULT_PORT = 8765;
/** The default address: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The backend whose jobs are shown. */
  readonly backend: Backend;
  /** The konduktor home (its sweeps). @default $KONDUKTOR_HOME, else ~/.konduktor */
  readonly home?: string;
  /** The address to serve on. @default 127.0.0.1 */
  readonly host?: string;
  /** The port; 0 picks a free one. @default 8765 */
  readonly port?: number;
  /** The per-run token (tests); a random one by default. */
  readonly token?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page's address (with `?token=` when every request needs the token). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The per-run token that state-changing requests carry. */
  readonly token: string;
  /** Whether every request needs the token (served beyond loopback). */
  readonly tokenOnEveryRequest: boolean;
  /** Stops serving, ends open streams, releases the store (not the backend). */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page may load only its own files and talk only to this server. */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Starts serving. Resolves once listening.
 * @throws {Error} when the address cannot be bound (e.g. `EADDRINUSE`).
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? DEFAULT_HOST;
  // The local backend's store is read directly (indexed pages, its events directory); every other
  // backend is shown through the Backend interface alone, its queue (if it keeps one) included.
  const local = options.backend instanceof LocalBackend ? options.backend : undefined;
  const source: DashboardSource =
    local === undefined ? new BackendSource(options.backend) : new LocalSource(local);
  const sweeps = new SweepSource(local === undefined ? options.home : local.home);
  const live = new LiveHub(source, sweeps);
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await source.close();
    sweeps.close();
    throw error;
  }
  // The rules need the port actually bound; requests are taken only from here on.
  const port = (server.address() as AddressInfo).port;
  const guard = new Guard(host, port, options.token);
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    guard.check(req, changesState(req));
    if (url.pathname.startsWith('/api/')) {
      await handleApi(
        { source, sweeps, live, tokenOnEveryRequest: guard.tokenOnEveryRequest },
        req,
        res,
        url,
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed here`);
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      page(res, guard, guard.queryToken(req) !== undefined);
      return;
    }
    const asset = /^\/assets\/([\w-]+\.(?:js|css|svg))$/.exec(url.pathname)?.[1];
    if (asset !== undefined) {
      staticFile(res, asset);
      return;
    }
    throw new HttpError(404, 'NOT_FOUND', `nothing at ${url.pathname}`);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((error: unknown) => {
      sendError(res, error);
    });
  });
  const base = `http://${hostHeader(host, port)}/`;
  const url = guard.tokenOnEveryRequest ? `${base}?token=${guard.token}` : base;
  const { token, tokenOnEveryRequest } = guard;

  return {
    url,
    host,
    port,
    token,
    tokenOnEveryRequest,
    async close() {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await source.close();
      sweeps.close();
    },
  };
}

/** The page, with the token inside (and a cookie with it when opened with `?token=`). */
function page(res: ServerResponse, guard: Guard, setCookie: boolean): void {
  const html = readUi('index.html').toString('utf8').replace('__KONDUKTOR_TOKEN__', guard.token);
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': CONTENT_TYPES['.html'],
    'content-security-policy': PAGE_POLICY,
    ...(setCookie
      ? { 'set-cookie': `${TOKEN_COOKIE}=${guard.token}; HttpOnly; SameSite=Strict; Path=/` }
      : {}),
  });
  res.end(html);
}

function staticFile(res: ServerResponse, name: string): void {
  const body = readUi(join('assets', name));
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    'content-length': body.length,
  });
  res.end(body);
}

/** A built file of the page. @throws {HttpError} 404, or 500 when the page was never built. */
function readUi(path: string): Buffer {
  try {
    return readFileSync(join(UI_DIR, path));
  } catch (cause) {
    if (path === 'index.html') {
      throw new HttpError(
        500,
        'UI_NOT_BUILT',
        `the dashboard's page is missing from ${UI_DIR} (${String(cause)}); run npm run build`,
      );
    }
    throw new HttpError(404, 'NOT_FOUND', `no file ${path}`);
  }
}
