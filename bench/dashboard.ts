/**
 * The dashboard with 10,000 jobs in the store: how soon the jobs list is painted in Chromium and
 * how long `GET /api/jobs` takes for one page (beside `konduktor status` on the same store, in the
 * same run), and what 50 open live pages cost the store per change (beside one page).
 *
 *   npm run bench -- --sections=dashboard
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalBackend } from '../src/backends/local/local-backend.js';
import { Job } from '../src/job/job.js';
import { events, launchChromium, request } from '../test/dashboard/support.js';
import { storeWithEndedJobs, trivial } from './fixtures.js';
import { median, percentile } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'konduktor.js');
const COUNT = 10_000;
const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const load = (): string => loadavg()[0]!.toFixed(1);

/** Starts `konduktor dashboard` on a free port; resolves with its URL. */
async function serve(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0'], {
    env: { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((done, fail) => {
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /open (http:\/\/\S+)/.exec(stderr);
      if (match?.[1] !== undefined) done(match[1]);
    });
    child.on('exit', () => fail(new Error(`konduktor dashboard exited: ${stderr}`)));
  });
  return { child, url };
}

/** Median and p95 of `runs` timed GETs (after 3 unmeasured). */
async function timeGets(url: string, runs: number): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    const t0 = performance.now();
    const answer = await request(url);
    const ms = performance.now() - t0;
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${answer.body}`);
    if (i >= 3) times.push(ms);
  }
  return { p50: median(times), p95: percentile(times, 95) };
}

/** Store reads per change while `pages` live streams are open and jobs come and go. */
async function readsPerChange(
  url: string,
  home: string,
  pages: number,
  jobs: number,
): Promise<{ perChange: number; reads: number; changes: number }> {
  const streams = await Promise.all(
    Array.from({ length: pages }, () => events(`${url}api/events?topics=jobs`)),
  );
  const launcher = new LocalBackend({ home });
  try {
    await Promise.all(streams.map((s) => s.next((e) => e.event === 'ready')));
    const stats = async (): Promise<{ storeReads: number; changes: number }> =>
      (await request(`${url}api/stats`)).json();
    const before = await stats();
    for (let i = 0; i < jobs; i += 1) {
      const name = await launcher.submit(trivial('live'));
      await new Job(name, launcher).wait({ timeout: 60_000 });
      // Every page has seen the job end before the next starts.
      await Promise.all(
        streams.map((s) =>
          s.next((e) => {
            const data = e.data as { changed?: { name: string; status: string }[] };
            return data.changed?.some((j) => j.name === name && j.status === 'SUCCEEDED') === true;
          }),
        ),
      );
    }
    const after = await stats();
    const reads = after.storeReads - before.storeReads;
    const changes = after.changes - before.changes;
    return { perChange: reads / changes, reads, changes };
  } finally {
    for (const s of streams) s.close();
    await launcher.close();
  }
}

/** The dashboard's rows for BENCHMARKS.md. */
export async function dashboardBenchmark(work: string, quick: boolean): Promise<string[]> {
  const home = join(mkdtempSync(join(work, 'dashboard-')), 'home');
  storeWithEndedJobs(home, COUNT);
  const env = { ...process.env, KONDUKTOR_HOME: home, NO_COLOR: '1' };
  const statusTimes: number[] = [];
  const load0 = load();
  for (let i = 0; i < (quick ? 3 : 7); i += 1) {
    const t0 = performance.now();
    const result = spawnSync(process.execPath, [CLI, 'status'], { env, stdio: 'ignore' });
    statusTimes.push(performance.now() - t0);
    if (result.status !== 0) throw new Error('konduktor status failed');
  }
  const status = median(statusTimes);

  const { child, url } = await serve(home);
  const rows: string[] = [];
  try {
    const runs = quick ? 10 : 30;
    const first = await timeGets(`${url}api/jobs?limit=50`, runs);
    const deep = await timeGets(`${url}api/jobs?limit=50&offset=${COUNT - 50}`, runs);
    const filtered = await timeGets(
      `${url}api/jobs?limit=50&status=FAILED,RUNNING&name=st-1*`,
      runs,
    );
    rows.push(
      `| \`GET /api/jobs\`, first page of 50, ${COUNT} jobs in the store (p50 of ${runs}; p95 ${fmt(first.p95)}) | ${fmt(first.p50)} | \`konduktor status\` (newest 100, whole process): ${fmt(status)} | the page is one indexed query + counts; the server stays up, status starts a process | ${load0}–${load()} |`,
      `| \`GET /api/jobs\`, last page (offset ${COUNT - 50}) | ${fmt(deep.p50)} (p95 ${fmt(deep.p95)}) | first page: ${fmt(first.p50)} | paging stays fast | ${load0}–${load()} |`,
      `| \`GET /api/jobs\`, filtered by status and name glob | ${fmt(filtered.p50)} (p95 ${fmt(filtered.p95)}) | first page: ${fmt(first.p50)} | | ${load0}–${load()} |`,
    );

    const browser = await launchChromium();
    try {
      const fcp: number[] = [];
      const painted: number[] = [];
      const loads = quick ? 3 : 7;
      const load1 = load();
      for (let i = 0; i < loads + 1; i += 1) {
        const page = await browser.newPage();
        await page.goto(url);
        // Polled through the debugger protocol: the page's content policy forbids evaluated text.
        const deadline = Date.now() + 30_000;
        while (
          (await page.evaluate<number>(
            "performance.getEntriesByName('konduktor:jobs-painted').length",
          )) === 0
        ) {
          if (Date.now() > deadline) throw new Error('the jobs list was not painted in 30 s');
          await new Promise((r) => setTimeout(r, 20));
        }
        const [paintMs, fcpMs] = await page.evaluate<[number, number]>(
          "[performance.getEntriesByName('konduktor:jobs-painted')[0].startTime, (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime]",
        );
        // The first load warms Chromium's caches of the browser itself, not the page's.
        if (i > 0) {
          painted.push(paintMs);
          fcp.push(fcpMs);
        }
        await page.close();
      }
      rows.push(
        `| jobs list painted in Chromium, ${COUNT} jobs in the store (navigation start → first 50 rows on screen; median of ${loads} loads) | ${fmt(median(painted))} (first contentful paint ${fmt(median(fcp))}) | \`konduktor status\`: ${fmt(status)} | goal ≤ 500 ms | ${load1}–${load()} |`,
      );
    } finally {
      await browser.close();
    }

    const jobs = quick ? 5 : 10;
    const load2 = load();
    const one = await readsPerChange(url, home, 1, jobs);
    const fifty = await readsPerChange(url, home, 50, jobs);
    rows.push(
      `| 50 open live pages: store reads per change (${jobs} jobs launched and ended, ${fifty.changes} changes sent) | ${fifty.perChange.toFixed(1)} reads/change (${fifty.reads} reads) | 1 open page: ${one.perChange.toFixed(1)} reads/change (${one.reads} reads, ${one.changes} changes) | one shared watch; the 200 ms change-counter polls between changes are counted too | ${load2}–${load()} |`,
    );
  } finally {
    child.kill('SIGINT');
    await once(child, 'exit');
  }
  return rows;
}
