/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core): the jobs list live, a
 * job's result, a failed job's error and log tail, following a running job's log, cancelling
 * from the page, the queue, and a sweep's charts while the sweep runs and after. Every page must
 * log no console error or warning and load nothing from beyond the dashboard; screenshots are kept
 * in .artifacts/ as test artifacts.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Job } from '../../src/job/job.js';
import { sweep } from '../../src/sweep/run.js';
import { CURVE_TRIALS, runCurveSweep } from '../support/curve-sweep.js';
import { launchChromium, localDashboard, screenshot, task, watchedPage } from './support.js';
import { OUT } from '../support/common.js';

const WAIT = { timeout: 30_000 };

/** Fails unless the chart's canvas is of a readable size and something was drawn on it. */
async function assertChartDrawn(page: Page, chart: string): Promise<void> {
  const box = await page.locator(`${chart} canvas`).first().boundingBox();
  assert.ok(
    box !== null && box.width > 300 && box.height > 150,
    `${chart}: ${JSON.stringify(box)}`,
  );
  const inked = await page.evaluate<number>(`(() => {
    const canvas = document.querySelector('${chart} canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
    return n;
  })()`);
  assert.ok(inked > 1000, `${chart}: ${inked} painted pixels`);
}

describe('dashboard in Chromium', () => {
  let ctx: Awaited<ReturnType<typeof localDashboard>>;
  let browser: Browser;
  const pages: { page: Page; problems: string[] }[] = [];
  const open = async (hash = ''): Promise<Page> => {
    const watched = await watchedPage(browser, ctx.dashboard);
    pages.push(watched);
    await watched.page.goto(`${ctx.dashboard.url}${hash}`);
    return watched.page;
  };

  before(async () => {
    ctx = await localDashboard({ capacity: { cpus: 4, memory: 8, gpus: [] } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await ctx.close();
    for (const { problems } of pages) assert.deepEqual(problems, []);
  });

  it('lists a launched job and shows its state change within 1 s, without a reload', async (t) => {
    const page = await open();
    await page.waitForSelector('body[data-ready="jobs"]', WAIT);
    // Browser-side code is text here: the tests are type-checked without the DOM's types.
    await page.evaluate(`
      window.notReloaded = true;
      // When each job's row first shows each state.
      window.seen = {};
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('#jobs tr[data-job]')) {
          window.seen[row.dataset.job + '/' + row.dataset.status] ??= Date.now();
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    `);
    const name = await ctx.launcher.submit(
      task('listed', `sleep 1.5; echo '{"ok": true}' > ${OUT}`),
    );
    await page.waitForSelector(`#jobs tr[data-job="${name}"][data-status="RUNNING"]`, WAIT);
    await page.waitForSelector(`#jobs tr[data-job="${name}"][data-status="SUCCEEDED"]`, WAIT);
    // The job's end: when its supervisor wrote the final record.
    const endedAt = statSync(join(ctx.home, 'jobs', name, 'final')).mtimeMs;
    const shownAt = await page.evaluate<number | undefined>(`window.seen['${name}/SUCCEEDED']`);
    assert.ok(shownAt !== undefined);
    t.diagnostic(
      `the end showed in the list ${(shownAt - endedAt).toFixed(0)} ms after the job ended`,
    );
    assert.ok(
      shownAt - endedAt <= 1000,
      `the end showed ${(shownAt - endedAt).toFixed(0)} ms after it`,
    );
    assert.equal(await page.evaluate('window.notReloaded'), true);
    assert.match(
      (await page.locator(`#jobs tr[data-job="${name}"] td.result`).textContent()) ?? '',
      /"ok": true/,
    );
    await screenshot(page, 'jobs-list');
    // Several new jobs in one change all appear, newest first.
    const burst = await Promise.all(
      ['one', 'two', 'three'].map((n) => ctx.launcher.submit(task(`burst-${n}`, 'true'))),
    );
    for (const job of burst) {
      await page.waitForSelector(`#jobs tr[data-job="${job}"][data-status="SUCCEEDED"]`, WAIT);
    }
    const shown = await page
      .locator('#jobs tr[data-job]')
      .evaluateAll((rows) =>
        rows.map((row) => (row as unknown as { dataset: { job: string } }).dataset.job),
      );
    assert.deepEqual(shown.slice(0, 4).sort(), [...burst, name].sort());
    assert.equal(shown[3], name, 'the older job stays below the new ones');

    // Filtering by status and name, in the page.
    await page.click('#status-filter a[data-status="FAILED"]');
    await page.waitForSelector('body[data-ready="jobs"]', WAIT);
    assert.equal(await page.locator(`#jobs tr[data-job="${name}"]`).count(), 0);
    await page.click('#status-filter a[data-status="FAILED"]');
    await page.waitForSelector(`#jobs tr[data-job="${name}"]`, WAIT);
    await page.fill('#name-filter', 'nomatch');
    await page.waitForSelector(`#jobs tr[data-job="${name}"]`, { state: 'detached', ...WAIT });
    await page.fill('#name-filter', 'list*');
    await page.waitForSelector(`#jobs tr[data-job="${name}"]`, WAIT);
  });

  it("shows a job's result, and a failed job's error fields and log tail", async () => {
    const ok = await ctx.launcher.submit(
      task('shown', `echo '{"val_loss": 0.125, "nested": {"k": [1, 2]}}' > ${OUT}`, {
        envs: { TOKEN_VALUE: 'super-secret-42' },
      }),
    );
    const bad = await ctx.launcher.submit(
      task('broken', 'echo first words; echo final complaint >&2; exit 9'),
    );
    await new Job(ok, ctx.launcher).wait({ timeout: 60_000 });
    await new Job(bad, ctx.launcher).wait({ timeout: 60_000 });

    const page = await open(`#/job/${ok}`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    const result = JSON.parse((await page.locator('#result').textContent()) ?? '') as unknown;
    assert.deepEqual(result, { val_loss: 0.125, nested: { k: [1, 2] } });
    assert.match((await page.locator('#result').textContent()) ?? '', /\n {2}"val_loss"/);
    assert.doesNotMatch(await page.content(), /super-secret-42/);
    assert.match((await page.locator('#task').textContent()) ?? '', /"TOKEN_VALUE": "<hidden>"/);
    await screenshot(page, 'job-result');

    await page.goto(`${ctx.dashboard.url}#/job/${bad}`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    assert.equal(await page.locator('#error-code').textContent(), 'JOB_FAILED');
    const field = async (key: string): Promise<string> =>
      (await page.locator(`#error-fields tr[data-field="${key}"] td`).textContent()) ?? '';
    assert.equal(await field('exitCode'), '9');
    assert.equal(await field('rank'), '0');
    assert.equal(await field('phase'), 'run');
    assert.equal(await field('attempt'), '0');
    assert.equal(await field('jobName'), bad);
    assert.match(await field('reason'), /exited with code 9/);
    assert.match((await page.locator('#error-log-tail').textContent()) ?? '', /final complaint/);
    await page.waitForSelector('body[data-log="loaded"]', WAIT);
    assert.match((await page.locator('#log').textContent()) ?? '', /first words\nfinal complaint/);
    await screenshot(page, 'job-failed');
  });

  it("follows a running job's log: new lines appear", async () => {
    const name = await ctx.launcher.submit(
      task('chatty', 'for i in $(seq 1 40); do echo "line $i"; sleep 0.15; done'),
    );
    const page = await open(`#/job/${name}`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    assert.equal(await page.locator('#log-follow').isChecked(), true);
    await page.locator('#log', { hasText: /line 3\b/ }).waitFor(WAIT);
    const early = (await page.locator('#log').textContent()) ?? '';
    assert.doesNotMatch(early, /line 40/);
    await page.locator('#log', { hasText: /line 40\b/ }).waitFor(WAIT);
    const lines = ((await page.locator('#log').textContent()) ?? '').trim().split('\n');
    assert.deepEqual(
      lines,
      Array.from({ length: 40 }, (_, i) => `line ${i + 1}`),
    );
    await page.waitForSelector('#job-status .s-succeeded', WAIT);
    await page.locator('#log-state', { hasText: 'the job ended' }).waitFor(WAIT);
    await screenshot(page, 'job-log-followed');
  });

  it('cancels a job from its page, after a confirmation', async () => {
    const name = await ctx.launcher.submit(task('victim', 'sleep 60'));
    const page = await open(`#/job/${name}`);
    await page.waitForSelector('body[data-ready="job"]', WAIT);
    await page.waitForSelector('#job-status .s-running', WAIT);
    // Declining keeps the job running.
    await page.click('#action-cancel');
    await page.click('#confirm-no');
    assert.equal((await ctx.launcher.get(name)).status, 'RUNNING');
    await page.click('#action-cancel');
    await screenshot(page, 'job-cancel-confirm');
    await page.click('#confirm-yes');
    await page.waitForSelector('#job-status .s-cancelled', WAIT);
    assert.equal((await ctx.launcher.get(name)).status, 'CANCELLED');
    await screenshot(page, 'job-cancelled');
  });

  it('shows the queue and what each queued job waits for', async () => {
    const big = await ctx.launcher.submit(
      task('hog', 'sleep 60', { resources: { labels: {}, maxRestarts: 0, cpus: 4 } }),
    );
    const queued = await ctx.launcher.submit(
      task('waiter', 'true', { resources: { labels: {}, maxRestarts: 0, cpus: 2 } }),
    );
    try {
      const page = await open('#/queue');
      await page.waitForSelector('body[data-ready="queue"]', WAIT);
      await page.waitForSelector(`#waiting tr[data-job="${queued}"]`, WAIT);
      assert.match(
        (await page.locator(`#waiting tr[data-job="${queued}"]`).textContent()) ?? '',
        /waiting for .*cpu/i,
      );
      await screenshot(page, 'queue');
      await page.goto(`${ctx.dashboard.url}#/job/${queued}`);
      await page.waitForSelector('body[data-ready="job"]', WAIT);
      assert.match(
        (await page.locator('#facts tr[data-field="waiting for"] td').textContent()) ?? '',
        /queued #1/,
      );
      // Live: the hog's end lets the waiter run, and the queue page says so without a reload.
      await page.goto(`${ctx.dashboard.url}#/queue`);
      await page.waitForSelector('body[data-ready="queue"]', WAIT);
      await ctx.launcher.cancel(big);
      await page.waitForSelector(`#waiting tr[data-job="${queued}"]`, {
        state: 'detached',
        ...WAIT,
      });
    } finally {
      await ctx.launcher.cancel(big);
      await ctx.launcher.cancel(queued);
    }
  });

  it('renders a sweep page with its charts while the sweep runs and after', async () => {
    const list = await open('#/sweeps');
    await list.waitForSelector('body[data-ready="sweeps"]', WAIT);
    const running = sweep(
      {
        name: 'live',
        task: {
          name: 'live',
          run: `python3 -c "import json,os,time; x=float(os.environ['X']); time.sleep(0.4); json.dump({'loss': (x-0.3)**2} if x < 0.85 else {'nope': 1}, open(os.environ['KONDUKTOR_OUTPUT_DIR']+'/result.json','w'))"`,
        },
        parameters: {
          x: { type: 'uniform', low: 0, high: 1 },
          lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
          opt: { type: 'choice', values: ['adam', 'sgd'] },
        },
        objective: 'loss',
        trials: 12,
        parallelism: 2,
        sampler: 'random',
        seed: 5,
        maxFailures: 12,
      },
      { home: ctx.home, outputDir: join(ctx.dir, 'sweep-out') },
    );
    // The list shows the sweep as it starts, live.
    await list.waitForSelector('#sweeps tr[data-sweep="live"]', WAIT);
    const page = await open('#/sweep/live');
    await page.waitForSelector('body[data-ready="sweep"]', WAIT);
    // While it runs: the charts draw the trials that finished so far, and grow.
    await page.waitForSelector('#objective-chart[data-points]:not([data-points="0"])', WAIT);
    const during = Number(await page.locator('#objective-chart').getAttribute('data-points'));
    const stateDuring = (await page.locator('#sweep-state').textContent()) ?? '';
    await screenshot(page, 'sweep-running');
    const result = await running;
    const succeeded = result.trials.filter((t) => t.state === 'succeeded').length;
    const failed = result.trials.filter((t) => t.state === 'failed').length;
    assert.equal(succeeded + failed, 12);
    await page.waitForSelector(`#objective-chart[data-points="${succeeded}"]`, WAIT);
    await page.waitForSelector('#sweep-state .s-completed', WAIT);
    assert.ok(
      during < 12 || stateDuring.includes('running'),
      `${during} points while ${stateDuring}`,
    );
    assert.equal(
      await page.locator('#params-chart').getAttribute('data-points'),
      String(succeeded),
    );
    assert.equal(
      await page.locator('#objective-chart').getAttribute('data-failed'),
      String(failed),
    );
    for (const chart of ['#objective-chart', '#params-chart']) await assertChartDrawn(page, chart);
    assert.equal(await page.locator('#trials tbody tr').count(), 12);
    assert.match(
      (await page.locator('#best').textContent()) ?? '',
      new RegExp(`trial ${result.best!.index}`),
    );
    await screenshot(page, 'sweep-done');
    assert.match(
      (await list.locator('#sweeps tr[data-sweep="live"]').textContent()) ?? '',
      /completed/,
    );
  });
  it("plots each trial's learning curve on the sweep page, pruned ones marked", async () => {
    const result = await runCurveSweep(ctx.home, ctx.dir);
    const pruned = result.trials.filter((t) => t.state === 'pruned').length;
    assert.ok(pruned >= 1, `${pruned} pruned`);
    const page = await open('#/sweep/curves');
    await page.waitForSelector('body[data-ready="sweep"]', WAIT);
    await page.waitForSelector(`#curves-chart[data-curves="${CURVE_TRIALS}"]`, WAIT);
    assert.equal(await page.locator('#curves-chart').getAttribute('data-pruned'), String(pruned));
    await assertChartDrawn(page, '#curves-chart');
    await screenshot(page, 'sweep-curves');
  });
});
