import { startBenchAws } from './bench-aws';
import { uploadExample } from './example-fixtures';
import { atLeast, figure, type MeasurementResult } from './figures';
import { runPipeline } from './pipeline-run';
import { samplePeakRss } from './process-memory';

const MEASUREMENT = 'scale';

export interface ScaleOptions {
  pipelines: number;
  waitScale: number;
  log: (line: string) => void;
}

/**
 * N pipelines for N different endpoints (example v1, one smoke case each) started at once on one embedded AWS,
 * after one untimed warm-up pipeline.
 * All must succeed; reports the wall time until the last one ends and the peak RSS of this process and its
 * children (the model servers) while they run.
 */
export async function measureScale(options: ScaleOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: options.waitScale });
  try {
    const example = await uploadExample(bench.clients.s3, options.log);
    // One untimed pipeline first: the steps' first load and compilation are not what N at once cost.
    await runPipeline(bench, 'bench-scale-warm-up', { modelDataUrl: example.modelDataUrl, endpointName: 'bench-scale-warm-up', smokeTests: [example.smokeCase] });
    const memory = samplePeakRss();
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: options.pipelines }, (_, i) =>
        runPipeline(bench, `bench-scale-${i}`, { modelDataUrl: example.modelDataUrl, endpointName: `bench-scale-${i}`, smokeTests: [example.smokeCase] }),
      ),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const peak = memory.stop();
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    const succeeded = options.pipelines - failures.length;
    const slowest = Math.max(...outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.wallMs / 1000] : [])));
    return {
      figures: [
        figure('scale.succeeded', MEASUREMENT, `pipelines succeeded of ${options.pipelines} started at once`, succeeded, '', atLeast(options.pipelines)),
        figure('scale.wall-seconds', MEASUREMENT, 'wall time until the last one ended', wallSeconds, 's'),
        figure(
          'scale.peak-rss-mib',
          MEASUREMENT,
          peak.includesChildren ? 'peak RSS incl. model servers' : 'peak RSS (this process only)',
          peak.peakBytes / 2 ** 20,
          'MiB',
        ),
      ],
      details: { pipelines: options.pipelines, waitScale: options.waitScale, slowestPipelineSeconds: slowest, failures },
    };
  } finally {
    await bench.stop();
  }
}
