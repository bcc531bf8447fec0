import { writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure, MeasurementResult } from './figures';
import { formatTable } from './table';

/**
 * `npm run bench [measurement …]`: runs the measurements one after another (all of them by default), prints the
 * table and writes bench/results.json (a partial run writes to the temp dir instead). A measurement that fails is recorded with its error; the others still run,
 * and the exit code is 1. Missing goals do not change the exit code: this is a benchmark, not a test.
 */
const log = (line: string) => process.stderr.write(`${line}\n`);

// Loaded on demand: the step handlers' logger reads POWERTOOLS_LOG_LEVEL when first imported, and main() silences them first.
const MEASUREMENTS: Record<string, () => Promise<MeasurementResult>> = {
  'cloud-cost': async () => (await import('./cloud-cost')).measureCloudCost({ waitScale: 0.02, log }),
  'orchestration-overhead': async () =>
    (await import('./orchestration-overhead')).measureOrchestrationOverhead({ runs: 5, waitScale: 0.001, log }),
  'async-roundtrip': async () => (await import('./async-roundtrip')).measureAsyncRoundTrip({ requests: 300, warmupRequests: 1500, rounds: 5, log }),
  'local-cli': async () => (await import('./local-cli')).measureLocalCli({ runs: 3, log }),
  'lambda-cold-start': async () => (await import('./cold-start')).measureColdStart({ runs: 5, log }),
  'server-cpu': async () => (await import('./server-cpu')).measureServerCpu({ requests: 1000, rounds: 3, warmupRounds: 3, log }),
  'async-throughput': async () => (await import('./async-throughput')).measureAsyncThroughput({ requests: 2000, rounds: 3, log }),
  scale: async () => (await import('./scale')).measureScale({ pipelines: 20, waitScale: 0.01, log }),
  'npm-test': async () => (await import('./npm-test')).measureNpmTest({ log }),
};

/** The figures issue 16 asks every full run to report (with their goals where they have one). */
const REQUIRED_FIGURES = [
  'transitions.realistic',
  'lambda-invocations.realistic',
  'detection.endpoint-seconds',
  'detection.output-seconds',
  'overhead.ratio',
  'async.ratio',
  'local-deploy.seconds',
  'local-up.seconds',
  'npm-test.seconds',
];

async function main(argv: string[]): Promise<number> {
  // Node 20 is supported on purpose (see cli/bin.cjs); the SDK's upgrade notice is noise in a report.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The pipeline's step logs would drown the report; POWERTOOLS_LOG_LEVEL=INFO shows them.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const unknown = argv.filter((name) => !(name in MEASUREMENTS));
  if (unknown.length > 0) {
    log(`Unknown measurement(s): ${unknown.join(', ')}. Known: ${Object.keys(MEASUREMENTS).join(', ')}`);
    return 2;
  }
  const selected = argv.length > 0 ? argv : Object.keys(MEASUREMENTS);
  const started = Date.now();
  const environment = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    freeMemoryMiB: Math.round(freemem() / 2 ** 20),
  };
  const figures: Figure[] = [];
  const measurements: Record<string, unknown> = {};
  // Only a full run replaces the committed results: a partial one would drop the other measurements' figures.
  const file = argv.length > 0 ? join(tmpdir(), 'aep-bench-results.partial.json') : join(__dirname, 'results.json');
  // Written after every measurement, so an interrupted run keeps what it measured (and says what it did not).
  const write = () => {
    const withGoals = figures.filter((f) => f.goal);
    const results = {
      generatedAt: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      environment,
      complete: selected.every((name) => name in measurements),
      // Required figures this run did not produce (a failed or unselected measurement): empty for a complete full run.
      missingFigures: REQUIRED_FIGURES.filter((id) => !figures.some((f) => f.id === id)),
      goals: { met: withGoals.filter((f) => f.met).length, notMet: withGoals.filter((f) => !f.met).length },
      figures,
      measurements,
    };
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  };
  let failed = false;
  for (const name of selected) {
    log(`${name}…`);
    const t0 = Date.now();
    // The machine is shared: the load around each measurement is part of its result.
    const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
    const loadBefore = load();
    try {
      const result = await MEASUREMENTS[name]();
      figures.push(...result.figures);
      measurements[name] = { ok: true, seconds: (Date.now() - t0) / 1000, load: { before: loadBefore, after: load() }, details: result.details };
      log(`${name}: done in ${Math.round((Date.now() - t0) / 1000)} s`);
    } catch (error) {
      failed = true;
      const e = error as Error;
      measurements[name] = { ok: false, seconds: (Date.now() - t0) / 1000, load: { before: loadBefore, after: load() }, error: `${e.name}: ${e.message}` };
      log(`${name}: FAILED: ${e.stack ?? e.message}`);
    }
    write();
    process.stderr.write(`${formatTable(figures)}\n`);
  }
  const results = write();
  process.stdout.write(`\n${formatTable(figures)}\n\n`);
  if (results.missingFigures.length > 0) log(`Missing required figure(s): ${results.missingFigures.join(', ')}`);
  log(`${results.goals.met} goal(s) met, ${results.goals.notMet} not met; ${results.durationSeconds} s on ${environment.cpus} CPU(s), load ${environment.loadAverageAtStart.join(' ')}. Written: ${file}`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
