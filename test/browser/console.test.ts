import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Browser, Page } from 'playwright-core';
import { main } from '../../cli/main';
import { launchBrowser } from '../helpers/browser';
import { REPO_ROOT, startTestAws, type TestAws } from '../helpers/embedded';
import { eventually } from '../helpers/scenario';

/**
 * The console and the HTML report in a real headless Chromium, during real pipeline runs on the embedded AWS, checked
 * as a person would look at them. Screenshots go to test/browser/output/ (git-ignored).
 */
jest.setTimeout(300_000);

// Run in the page by page.evaluate: the browser's globals, typed loosely here (the DOM lib would retype Node's fetch
// for every test of the program).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare function getComputedStyle(element: any): { color: string; stroke: string };

const OUTPUT = join(REPO_ROOT, 'test', 'browser', 'output');
const BUILD = join(REPO_ROOT, 'examples', 'recommender', 'build');
/** A host name Chromium resolves to 127.0.0.1, as a DNS-rebinding attacker's would. */
const REBOUND_HOST = 'rebind.aep.test';
const VIEWPORT = { width: 1440, height: 900 };
const LONG = { timeout: 150_000 };

let t: TestAws;
let browser: Browser;
let foreign: Server;
let consoleUrl: string;
const arns: Record<string, string> = {};

beforeAll(async () => {
  if (!existsSync(join(BUILD, 'manifest.json'))) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'examples', 'recommender', 'build.mjs')], { stdio: 'ignore' });
  }
  mkdirSync(OUTPUT, { recursive: true });
  t = await startTestAws({ waitScale: 0.05 });
  consoleUrl = `${t.aws.url}/_aep/console/`;
  const manifest = JSON.parse(readFileSync(join(BUILD, 'manifest.json'), 'utf8')) as { files: { file: string; uri: string }[] };
  for (const { file, uri } of manifest.files) {
    await t.clients.s3.send(new PutObjectCommand({ Bucket: t.aws.names.modelsBucket, Key: uri.replace(/^s3:\/\/[^/]+\//, ''), Body: readFileSync(join(BUILD, file)) }));
  }
  browser = await launchBrowser({ args: [`--host-resolver-rules=MAP ${REBOUND_HOST} 127.0.0.1`] });
  // Another web page on this machine (another origin), that will try to read the console.
  foreign = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title><p>another site</p>'));
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', () => resolve()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (foreign ? foreign.close(resolve) : resolve(undefined)));
  await t?.stop();
});

async function start(version: string, name: string): Promise<string> {
  const input = JSON.stringify({ modelDataUrl: `s3://aep-models/examples/recommender/${version}/model.tar.gz`, endpointName: 'recommender' });
  const { executionArn } = await t.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: t.aws.names.stateMachineArn, name, input }));
  arns[name] = executionArn!;
  return executionArn!;
}

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, errors };
}

/** What a person reads off an execution page: state colours, the error, the gate and timings tables. */
function readExecutionPage(page: Page) {
  return page.evaluate(() => {
    const text = (selector: string) => [...document.querySelectorAll(selector)].map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
    return {
      header: text('.run-header h1'),
      error: text('.error-box'),
      states: [...document.querySelectorAll('svg.aep-graph .state')].map((g) => `${g.getAttribute('data-state')}=${g.getAttribute('data-status')}`),
      gate: text('table.gate tbody tr'),
      sideBySide: text('table.side-by-side tbody tr'),
      timings: text('table.timings tbody tr'),
      audit: text('#audit dl'),
    };
  });
}

test('the console shows runs live: one appears and turns green, a broken one runs (blue) then turns red with its failed state and the failing overlap', async () => {
  const { page, errors } = await newPage();
  await page.goto(consoleUrl);
  await page.getByText('No executions yet').waitFor();

  // v1, with one throttled CreateModel call that the Retry absorbs.
  t.aws.faults.add({ service: 'lambda', operation: 'CreateModel', count: 1, error: { code: 'TransientError', message: 'injected throttle', status: 500 } });
  await start('v1', 'console-v1');
  const v1Row = page.locator('tr[data-execution="console-v1"]');
  await v1Row.waitFor(LONG); // no reload: the list polls
  await page.locator('tr[data-execution="console-v1"][data-status="SUCCEEDED"]').waitFor(LONG);
  expect(await v1Row.locator('.badge').textContent()).toBe('SUCCEEDED');
  expect(await v1Row.locator('.badge').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(31, 138, 76)'); // green

  // broken, with each comparison held for 4 s so the page sees the run in progress.
  t.aws.faults.add({ service: 'lambda', operation: 'CompareToBaseline', delayMs: 4000 });
  await start('broken', 'console-broken');
  await page.locator('tr[data-execution="console-broken"] a', { hasText: 'console-broken' }).click(LONG);
  await page.locator('.run-header .badge-running').waitFor(LONG);
  await page.locator('svg.aep-graph .state.st-running').first().waitFor(LONG);
  await page.locator('.run-header .badge-failed').waitFor(LONG); // turned red without a reload
  t.aws.faults.clear();

  // The failed state is the one the error names, highlighted in the graph; states after it are not reached.
  const failedState = (await page.locator('.error-state').textContent())!;
  expect(await page.locator('.error-name').textContent()).toBe('BaselineMismatch');
  expect(await page.locator(`svg.aep-graph .state[data-state="${failedState}"]`).getAttribute('data-status')).toBe('failed');
  expect(await page.locator(`svg.aep-graph .state[data-state="${failedState}"] .state-box`).evaluate((e) => getComputedStyle(e).stroke)).toBe('rgb(198, 47, 47)'); // red
  expect(await page.locator('svg.aep-graph .state[data-state="Finalize"]').getAttribute('data-status')).toBe('notReached');

  // The gate table shows each failing case's overlap, as its comparison report in S3 has it.
  const failing = page.locator('table.gate tbody tr.case-failed');
  expect(await failing.count()).toBeGreaterThan(0);
  for (const name of await failing.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-case')!))) {
    const object = await t.clients.s3.send(new GetObjectCommand({ Bucket: t.aws.names.artifactsBucket, Key: `reports/recommender/console-broken/${name}.json` }));
    const report = JSON.parse(await object.Body!.transformToString()) as { passed: boolean; metrics: { k: number; overlapAtK: number } };
    expect(report.passed).toBe(false);
    const row = page.locator(`table.gate tr[data-case="${name}"]`);
    expect(await row.textContent()).toContain(`overlap@${report.metrics.k} ${report.metrics.overlapAtK.toFixed(2)}`);
    expect(await row.locator('.badge').textContent()).toBe('failed');
  }
  await page.screenshot({ path: join(OUTPUT, 'console-execution.png'), fullPage: true });
  await page.screenshot({ path: join(OUTPUT, 'console.png') });

  // Keyboard: Tab to a state of the graph, Enter shows its details.
  await page.locator('svg.aep-graph .state[data-state="ValidateInput"]').focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('.state-details h3').textContent()).toBe('ValidateInput');

  // The retried step of v1 shows as retried, its retry counted.
  await page.goto(`${consoleUrl}#/execution/${encodeURIComponent(arns['console-v1'])}`);
  await page.locator('.run-header .badge-succeeded').waitFor(LONG);
  expect(await page.locator('svg.aep-graph .state[data-state="CreateModel"]').getAttribute('data-status')).toBe('retried');
  expect(await page.locator('svg.aep-graph .state[data-state="CreateModel"] .state-meta').textContent()).toContain('1 retry');

  // Filters: status FAILED leaves only the broken run.
  await page.goto(consoleUrl);
  await page.locator('tr[data-execution="console-v1"]').waitFor(LONG);
  await page.selectOption('#filter-status', 'FAILED');
  expect(await page.locator('tr[data-execution]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution')))).toEqual(['console-broken']);

  // Endpoints: the endpoint, its deployments from the audit records.
  await page.goto(`${consoleUrl}#/endpoint/recommender`);
  await page.getByText('Deployments (audit records)').waitFor(LONG);
  await page.locator('text=console-broken').first().waitFor(LONG);
  expect(await page.locator('main').textContent()).toContain('InService');
  await page.screenshot({ path: join(OUTPUT, 'console-endpoint.png'), fullPage: true });

  expect(errors).toEqual([]);
  await page.close();
});

test('aep report writes one HTML file that opens offline (no request at all) and shows what the console shows', async () => {
  expect(arns['console-broken']).toBeDefined(); // written by the test above
  const file = join(OUTPUT, 'report.html');
  expect(await main(['node', 'aep', 'report', 'console-broken', '--endpoint-url', t.aws.url, '--html', file])).toBe(0);

  const offline = await browser.newContext({ offline: true, viewport: VIEWPORT });
  const requests: string[] = [];
  offline.on('request', (r) => requests.push(r.url()));
  const report = await offline.newPage();
  const errors: string[] = [];
  report.on('pageerror', (e) => errors.push(e.message));
  await report.goto(pathToFileURL(file).href);
  await report.locator('svg.aep-graph').waitFor();
  // Scrolled to the gate: the failure path in the graph beside each case's output and baseline.
  await report.locator('#gate .case-details').first().scrollIntoViewIfNeeded();
  await report.screenshot({ path: join(OUTPUT, 'report.png') });
  await report.screenshot({ path: join(OUTPUT, 'report-full.png'), fullPage: true });

  const { page } = await newPage();
  await page.goto(`${consoleUrl}#/execution/${encodeURIComponent(arns['console-broken'])}`);
  await page.locator('.run-header .badge-failed').waitFor(LONG);
  await page.locator('#audit dl').waitFor(LONG);

  const inReport = await readExecutionPage(report);
  expect(inReport.states.length).toBeGreaterThan(10);
  expect(inReport.error.join()).toContain('BaselineMismatch');
  expect(inReport.gate.length).toBeGreaterThan(0);
  expect(inReport).toEqual(await readExecutionPage(page));
  expect(requests).toEqual([pathToFileURL(file).href]);
  expect(errors).toEqual([]);
  await offline.close();
  await page.close();
});

test('the console refuses, in a real browser, a page of another origin and a foreign Host name (DNS rebinding)', async () => {
  const { page } = await newPage();
  const foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`;
  await page.goto(foreignUrl);
  // The other site's script tries to read the console's data. The browser sends its Origin; the server answers 403
  // (seen on the wire through the DevTools protocol, as the script itself only sees a failed fetch).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const statuses: number[] = [];
  cdp.on('Network.responseReceivedExtraInfo', (e: { statusCode: number }) => statuses.push(e.statusCode));
  const outcome = await page.evaluate((url) => fetch(url).then((r) => `read ${r.status}`, () => 'blocked'), `${consoleUrl}api/executions`);
  expect(outcome).toBe('blocked');
  await eventually(async () => expect(statuses).toContain(403), 30_000);
  // A link on the other site to the console's data: the browser says the navigation comes from another site.
  await page.setContent(`<a id="lure" href="${consoleUrl}api/executions">open</a>`);
  const [navigation] = await Promise.all([page.waitForNavigation(), page.click('#lure')]);
  expect(navigation?.status()).toBe(403);
  expect(await page.locator('body').textContent()).not.toContain('console-broken');

  const port = new URL(t.aws.url).port;
  const rebound = await page.goto(`http://${REBOUND_HOST}:${port}/_aep/console/`);
  expect(rebound?.status()).toBe(403);
  expect(await page.locator('body').textContent()).not.toContain('aep console');
  const api = await page.goto(`http://${REBOUND_HOST}:${port}/_aep/console/api/executions`);
  expect(api?.status()).toBe(403);
  expect(await page.locator('body').textContent()).not.toContain('console-broken');
  await page.close();
});
