/**
 * Helpers of the dashboard tests: a dashboard on a private local home, raw HTTP requests (with any
 * Host header), a Server-Sent Events reader, and a headless Chromium page that records console
 * problems and requests beyond the dashboard.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LocalBackend, type LocalBackendOptions } from '../../src/backends/local/local-backend.js';
import { type Dashboard, startDashboard, UI_DIR } from '../../src/dashboard/server.js';
import type { TaskSpec } from '../../src/task/types.js';
import { ROOT, tempHome } from '../support/cli.js';

export { launchChromium } from '../support/chromium.js';

/** A task that runs `run` in bash. */
export const task = (name: string, run: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({
  name,
  run,
  envs: {},
  numNodes: 1,
  fileMounts: {},
  resources: { labels: {}, maxRestarts: 0 },
  ...extra,
});

/** A dashboard on a fresh home, and a second backend (another "process") that launches jobs. */
export async function localDashboard(options: Partial<LocalBackendOptions> = {}): Promise<{
  readonly home: string;
  readonly dir: string;
  readonly backend: LocalBackend;
  readonly launcher: LocalBackend;
  readonly dashboard: Dashboard;
  close(): Promise<void>;
}> {
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`the dashboard page is not built in ${UI_DIR}: run npm run build first`);
  }
  const tmp = tempHome('konduktor-dashboard-');
  const backend = new LocalBackend({ ...options, home: tmp.home });
  const launcher = new LocalBackend({ ...options, home: tmp.home });
  const dashboard = await startDashboard({ backend, port: 0 });
  return {
    home: tmp.home,
    dir: tmp.dir,
    backend,
    launcher,
    dashboard,
    async close() {
      await dashboard.close();
      await backend.close();
      await launcher.close();
      tmp.cleanup();
    },
  };
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  // The caller names the shape it expects, as with JSON.parse.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  json<T = Record<string, unknown>>(): T;
}

/** One request to the dashboard, with any headers (Host included). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
            json: <T>() => JSON.parse(body) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An open Server-Sent Events stream and the events it received. */
export interface EventReader {
  readonly events: { event: string; data: unknown }[];
  /** Resolves with the first received event (from now on, or already received) that `match`es. */
  next(
    match: (event: { event: string; data: unknown }) => boolean,
    timeoutMs?: number,
  ): Promise<{ event: string; data: unknown }>;
  close(): void;
}

/** Opens `url` as an event stream. */
export function events(url: string): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const received: { event: string; data: unknown }[] = [];
    const waiters = new Set<() => void>();
    const req = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== undefined) received.push({ event, data: JSON.parse(data) as unknown });
          for (const wake of waiters) wake();
        }
      });
      resolve({
        events: received,
        next(match, timeoutMs = 30_000) {
          return new Promise((done, fail) => {
            const check = (): boolean => {
              const found = received.find(match);
              if (found === undefined) return false;
              waiters.delete(wake);
              clearTimeout(timer);
              done(found);
              return true;
            };
            const wake = (): void => {
              check();
            };
            const timer = setTimeout(() => {
              waiters.delete(wake);
              fail(
                new Error(
                  `no matching event in ${timeoutMs} ms; got ${JSON.stringify(received).slice(0, 2000)}`,
                ),
              );
            }, timeoutMs);
            waiters.add(wake);
            check();
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', (error) => {
      if ((error as { code?: string }).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

/** A page that records console errors and warnings, page errors and requests to other hosts. */
export async function watchedPage(
  browser: Browser,
  dashboard: Dashboard,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const origin = new URL(dashboard.url).origin;
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (req) => {
    if (!req.url().startsWith(origin) && !req.url().startsWith('data:'))
      problems.push(`request beyond the dashboard: ${req.url()}`);
  });
  return { page, problems };
}

/** Saves a screenshot under .artifacts/ (kept as a test artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(ROOT, '.artifacts'), { recursive: true });
  await page.screenshot({
    path: join(ROOT, '.artifacts', `dashboard-${name}.png`),
    fullPage: true,
  });
}
