/**
 * The HTML report of a real sweep opens in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), renders its charts, logs no error; the screenshot is kept as a test artifact.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sweep } from '../../src/sweep/run.js';
import { launchChromium } from '../support/chromium.js';
import { ROOT, tempHome } from '../support/cli.js';
import { CURVE_TRIALS, runCurveSweep } from '../support/curve-sweep.js';

/**
 * Opens a report and collects what should never happen: console errors and warnings, page
 * errors, any request beyond the file itself.
 */
async function openReport(
  browser: Awaited<ReturnType<typeof launchChromium>>,
  file: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 10_000 });
  return { page, problems };
}

describe('sweep HTML report in Chromium', () => {
  const tmp = tempHome('konduktor-sweep-report-');
  after(() => {
    tmp.cleanup();
  });

  it('renders the objective chart and the parallel coordinates with no console error', async () => {
    const result = await sweep(
      {
        name: 'report',
        task: {
          name: 'report',
          run: "python3 -c \"import json,os,math; x=float(os.environ['X']); o=os.environ['OPT']; v=(x-0.3)**2+(0.1 if o=='sgd' else 0); json.dump({'loss': v} if x < 0.9 else {'nope': 1}, open(os.environ['KONDUKTOR_OUTPUT_DIR']+'/result.json','w'))\"",
        },
        parameters: {
          x: { type: 'uniform', low: 0, high: 1 },
          lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
          opt: { type: 'choice', values: ['adam', 'sgd'] },
        },
        objective: 'loss',
        trials: 16,
        parallelism: 2,
        sampler: 'random',
        seed: 3,
        maxFailures: 16,
      },
      { home: tmp.home, outputDir: join(tmp.dir, 'out') },
    );
    const succeeded = result.trials.filter((t) => t.state === 'succeeded').length;
    const failed = result.trials.filter((t) => t.state === 'failed').length;
    assert.equal(succeeded + failed, 16);
    assert.ok(succeeded >= 5 && failed >= 1, `succeeded ${succeeded}, failed ${failed}`);

    const browser = await launchChromium();
    try {
      const { page, problems } = await openReport(browser, result.files!.html);

      assert.equal(await page.locator('#objective-chart circle.trial-point').count(), succeeded);
      assert.equal(await page.locator('#objective-chart .failed-mark').count(), failed);
      assert.equal(await page.locator('#objective-chart path.best-line').count(), 1);
      assert.equal(await page.locator('#parallel-chart path.trial-line').count(), succeeded);
      const box = await page.locator('#objective-chart').boundingBox();
      assert.ok(
        box !== null && box.width > 300 && box.height > 150,
        `chart box ${JSON.stringify(box)}`,
      );
      const lineLength = await page
        .locator('#objective-chart path.best-line')
        .evaluate((el) => (el as unknown as { getTotalLength(): number }).getTotalLength());
      assert.ok(lineLength > 100, `best-so-far line length ${lineLength}`);
      assert.match(
        (await page.locator('#best').textContent()) ?? '',
        new RegExp(`trial ${result.best!.index}`),
      );

      // The script works: hovering the best row highlights that trial in the charts.
      await page.locator(`#trials tbody tr[data-trial="${result.best!.index}"]`).hover();
      assert.ok((await page.locator('svg .hl').count()) >= 2);
      await page.mouse.move(0, 0);
      assert.equal(await page.locator('svg .hl').count(), 0);

      mkdirSync(join(ROOT, '.artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, '.artifacts', 'sweep-report.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it("plots each trial's learning curve, pruned ones dashed and marked", async () => {
    const result = await runCurveSweep(tmp.home, tmp.dir);
    const pruned = result.trials.filter((t) => t.state === 'pruned');
    assert.ok(pruned.length >= 1, `${pruned.length} pruned`);
    // Every trial's curve was kept: all 9 steps of a finished one, up to its stop for a pruned one.
    for (const t of result.trials) {
      const steps = (t.curve ?? []).map(([s]) => s);
      if (t.state === 'succeeded') assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      else assert.equal(steps.at(-1), t.prunedStep, JSON.stringify(t));
    }

    const browser = await launchChromium();
    try {
      const { page, problems } = await openReport(browser, result.files!.html);
      assert.equal(await page.locator('#curves-chart path.curve').count(), CURVE_TRIALS);
      assert.equal(await page.locator('#curves-chart path.curve.pruned').count(), pruned.length);
      assert.equal(await page.locator('#curves-chart path.pruned-mark').count(), pruned.length);
      assert.equal(await page.locator('#curves-chart path.curve.best').count(), 1);
      // Drawn dashed, and long enough to be seen.
      const dash = await page
        .locator('#curves-chart path.curve.pruned')
        .first()
        .evaluate(
          (el) =>
            (
              globalThis as unknown as {
                getComputedStyle(e: unknown): { strokeDasharray: string };
              }
            ).getComputedStyle(el).strokeDasharray,
        );
      assert.notEqual(dash, 'none');
      const length = await page
        .locator('#curves-chart path.curve.best')
        .evaluate((el) => (el as unknown as { getTotalLength(): number }).getTotalLength());
      assert.ok(length > 200, `best curve length ${length}`);
      // Hovering a pruned trial's row highlights its curve.
      await page.locator(`#trials tbody tr[data-trial="${pruned[0]!.index}"]`).hover();
      assert.ok((await page.locator('#curves-chart .hl').count()) >= 1);
      await page.screenshot({ path: join(ROOT, '.artifacts', 'sweep-curves.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
