import { startBenchAws } from './bench-aws';
import { deployDirectly } from './direct-deployment';
import { uploadExample } from './example-fixtures';
import { atMost, figure, type MeasurementResult } from './figures';
import { deleteEndpoints, runPipeline, timeByState } from './pipeline-run';
import { median, ratio } from './stats';

const MEASUREMENT = 'orchestration-overhead';
const MAX_RATIO = 1.25;

export interface OrchestrationOptions {
  /** Timed runs of each kind (one untimed warm-up of each comes first). */
  runs: number;
  /** Pipeline Waits × this: near zero, so the comparison is of work, not of waiting. */
  waitScale: number;
  log: (line: string) => void;
}

/**
 * The full pipeline (example v1, one smoke case) against the minimal direct SDK sequence doing the same AWS work,
 * on the same embedded AWS, alternating (and alternating which goes first), each on a fresh endpoint that is
 * deleted afterwards. One untimed warm-up round of each first; the ratio is the median of the per-round ratios
 * (each round's two runs share the machine's load of that moment), next to the absolute overhead in ms.
 */
export async function measureOrchestrationOverhead(options: OrchestrationOptions): Promise<MeasurementResult> {
  const bench = await startBenchAws({ waitScale: options.waitScale });
  try {
    const example = await uploadExample(bench.clients.s3, options.log);
    const pipelineMs: number[] = [];
    const directMs: number[] = [];
    const stateMs: Record<string, number>[] = [];
    for (let round = 0; round <= options.runs; round++) {
      const pipeline = async () => {
        const endpointName = `bench-pipeline-${round}`;
        const run = await runPipeline(bench, `bench-overhead-${round}`, {
          modelDataUrl: example.modelDataUrl,
          endpointName,
          smokeTests: [example.smokeCase],
        });
        await deleteEndpoints(bench, [endpointName]);
        if (round > 0) {
          pipelineMs.push(run.wallMs);
          stateMs.push(timeByState(run.history));
        }
      };
      const direct = async () => {
        const endpointName = `bench-direct-${round}`;
        const ms = await deployDirectly(bench, endpointName, example);
        await deleteEndpoints(bench, [endpointName]);
        if (round > 0) directMs.push(ms);
      };
      const [first, second] = round % 2 === 0 ? [pipeline, direct] : [direct, pipeline];
      await first();
      await second();
      options.log(`  round ${round}${round === 0 ? ' (warm-up)' : ''}: pipeline ${fmt(pipelineMs.at(-1))}, direct ${fmt(directMs.at(-1))}`);
    }
    const ratios = pipelineMs.map((ms, i) => ratio(ms, directMs[i]));
    const overheads = pipelineMs.map((ms, i) => ms - directMs[i]);
    return {
      figures: [
        figure('overhead.pipeline-ms', MEASUREMENT, 'pipeline wall time, median', median(pipelineMs), 'ms'),
        figure('overhead.direct-ms', MEASUREMENT, 'direct SDK sequence wall time, median', median(directMs), 'ms'),
        figure('overhead.ratio', MEASUREMENT, 'pipeline ÷ direct, median of per-round ratios', median(ratios), '', atMost(MAX_RATIO)),
        figure('overhead.absolute-ms', MEASUREMENT, 'pipeline − direct per deployment, median', median(overheads), 'ms'),
      ],
      details: {
        runs: options.runs,
        waitScale: options.waitScale,
        pipelineMs,
        directMs,
        ratios,
        ratioRange: [Math.min(...ratios), Math.max(...ratios)],
        overheadMs: overheads,
        medianMsByState: medianByKey(stateMs),
      },
    };
  } finally {
    await bench.stop();
  }
}

function medianByKey(samples: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return Object.fromEntries(keys.map((k) => [k, Math.round(median(samples.map((s) => s[k] ?? 0)))]));
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms)} ms`);
