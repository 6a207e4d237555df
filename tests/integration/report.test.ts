import { existsSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromiumPath } from '../support/chromium.js';
import { cli } from '../support/cli.js';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { waitForDriftRows } from '../support/influx.js';
import { events, MINUTE, native, spec, T0 } from '../support/input-shapes.js';
import { createTopics, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');

/** What the page functions use of DOM elements (the tests compile without the DOM library). */
interface PageElement {
  getBoundingClientRect(): { width: number };
  querySelector(selector: string): unknown;
  textContent: string | null;
}

/**
 * A daemon writes three windows (feature b shifted in the last), `driftwatch report` turns them
 * into one HTML file, and a real headless Chromium opens it offline: no console error, no
 * request, every chart drawn.
 */
describe(`HTML drift report against real InfluxDB and Chromium (${inject('servicesMode')})`, () => {
  const names = uniqueNames('report');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-report-'));
  const out = path.join(dir, 'report.html');
  let config = '';
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [names.topic, names.deadLetterTopic]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: names.topic, messages: events().map(native) });
    await producer.disconnect();
    const { file } = await writeDaemonConfig(services, {
      ...names,
      baselinesDir: baselineDirFor(spec),
      windowSize: '1m',
    });
    config = file;
    daemon = new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token });
    await waitForDriftRows(services.influx, names.measurement, 3 * 3);
  });

  afterAll(async () => {
    await daemon?.stopGracefully();
  });

  it('writes a self-contained file that a browser renders offline without errors', async () => {
    const result = cli(
      [
        'report',
        '--config',
        config,
        '--model',
        spec.model,
        '--from',
        new Date(T0 - MINUTE).toISOString(),
        '--to',
        new Date(T0 + 5 * MINUTE).toISOString(),
        '--out',
        out,
      ],
      { INFLUX_TOKEN: services.influx.token },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);

    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(m.text());
      });
      page.on('pageerror', (err) => problems.push(String(err)));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.setOfflineMode(true);
      await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
      const charts = await page.$$eval('svg.chart', (svgs) =>
        (svgs as unknown as PageElement[]).map((s) => ({
          drawn: s.getBoundingClientRect().width > 0 && s.querySelector('polyline, rect') !== null,
        })),
      );
      // Dataset share, then per feature (a, b, country): PSI against its threshold, the KS or
      // chi-square p-value against alpha, and the baseline's distribution against the window's.
      expect(charts).toHaveLength(1 + 3 * 3);
      expect(charts.every((c) => c.drawn)).toBe(true);
      const ranking = await page.$$eval('table:first-of-type tbody tr td:first-child', (tds) =>
        (tds as unknown as PageElement[]).map((td) => td.textContent),
      );
      expect(ranking[0]).toBe('b');
      const shot = path.join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot) && statSync(shot).size > 0).toBe(true);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('names the problem when the range holds no points of the model', () => {
    const result = cli(
      [
        'report',
        '--config',
        config,
        '--model',
        'nobody',
        '--from',
        new Date(T0).toISOString(),
        '--to',
        new Date(T0 + MINUTE).toISOString(),
        '--out',
        path.join(dir, 'none.html'),
      ],
      { INFLUX_TOKEN: services.influx.token },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('CLI_USAGE');
    expect(result.stderr).toContain('"nobody"');
  });
});
