import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewReport } from '../../src/report/model.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function playwrightLoads(): Promise<boolean> {
  try {
    await import('playwright-core');
    return true;
  } catch {
    return false;
  }
}

/** The CLI run in `cwd`, so that file names in the report are the short ones a user would type. */
function cliIn(cwd: string, args: string[]) {
  return execa(process.execPath, [BIN, ...args], { cwd, reject: false, env: { NO_COLOR: '1' } });
}

const skip = await e2eSkipReason(
  `headless Chromium (${CHROMIUM}) and playwright-core`,
  async () => (await available(CHROMIUM, ['--version'])) && (await playwrightLoads()),
);

/**
 * Opens the HTML report in a real browser: it must load with no request beyond the file itself,
 * show the headline numbers and draw its charts. UPDATE_SCREENSHOT=1 also refreshes
 * docs/report-sample.png and docs/report-sample.html from the same page.
 */
describe.skipIf(skip)(`HTML report in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let html: string;
  let report: ReviewReport;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-report-e2e-'));
    // Two runs of the same Python socket script (samples/traces/README.md), learnt from strace -f output.
    const runs = ['strace-f-tt-T-yy-python-sockets.txt', 'strace-f-r-yy-python-sockets.stderr.txt'];
    const recordings: string[] = [];
    for (const [index, trace] of runs.entries()) {
      const name = index === 0 ? 'python-sockets' : `python-sockets-${index + 1}`;
      const result = await cliIn(ROOT, ['from-strace', join('samples/traces', trace), '-o', join(dir, name)]);
      expect(result.exitCode, result.stderr).toBe(0);
      recordings.push(`${name}.recording.json`);
    }
    // Relative names, as a user would type them: they appear in the report's apply commands.
    const written = await cliIn(dir, ['report', ...recordings, '-o', 'report.html']);
    expect(written.exitCode, written.stderr).toBe(0);
    html = join(dir, 'report.html');
    const json = await cliIn(dir, ['report', ...recordings, '--format', 'json']);
    report = JSON.parse(json.stdout);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads offline, shows the headline numbers and draws the charts', async () => {
    const { chromium } = await import('playwright-core');
    const profileDir = await mkdtemp(join(tmpdir(), 'sl-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1100, height: 900 },
    });
    try {
      const page = await context.newPage();
      const url = pathToFileURL(html).href;
      const requests: string[] = [];
      const failed: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('requestfailed', (request) => failed.push(request.url()));
      const response = await page.goto(url, { waitUntil: 'load' });
      expect(response?.ok() ?? true).toBe(true);
      expect(failed).toEqual([]);
      expect(requests.filter((request) => request !== url)).toEqual([]);

      const abi = report.comparison.abis[0];
      expect(abi).toBeDefined();
      const { workloadAllows, referenceAllows, percentFewer } = abi?.headline ?? {};
      const card = (label: string) => page.locator('.card', { hasText: label }).locator('.num');
      for (const [label, number] of [
        ['syscalls allowed by this profile', `${workloadAllows}`],
        ["allowed by Docker's default", `${referenceAllows}`],
        ['fewer', `${percentFewer}%`],
      ] as const) {
        expect(await card(label).isVisible()).toBe(true);
        expect(await card(label).textContent()).toBe(number);
      }
      const text = (await page.locator('body').textContent()) ?? '';
      expect(text).toContain('Most-called syscalls');

      const charts = page.locator('svg.chart');
      expect(await charts.count()).toBeGreaterThanOrEqual(3);
      for (const chart of await charts.all()) {
        const box = await chart.boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(100);
        expect(box?.height ?? 0).toBeGreaterThan(40);
        expect(await chart.locator('rect').count()).toBeGreaterThan(2);
      }
      const bars = await page.locator('svg.chart').nth(0).locator('text').allTextContents();
      expect(bars).toContain(String(referenceAllows));
      expect(bars).toContain(String(workloadAllows));

      // Printed, the profile is shown in full rather than in a scrolling box.
      await page.emulateMedia({ media: 'print' });
      const maxHeight = await page.evaluate(
        "getComputedStyle(document.querySelector('pre.profile')).maxHeight",
      );
      expect(maxHeight).toBe('none');
      await page.emulateMedia({ media: 'screen' });

      if (process.env.UPDATE_SCREENSHOT === '1') {
        await page.screenshot({ path: join(ROOT, 'docs/report-sample.png'), fullPage: true });
        await copyFile(html, join(ROOT, 'docs/report-sample.html'));
      }
    } finally {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    }
  });

  it('is the same page the renderer wrote (no script rewrote it)', async () => {
    const page = await readFile(html, 'utf8');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('<svg class="chart"');
  });
});
