import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import { BUILT_IN_DEFAULTS } from '../functions/lib/deployment-input';
import { READINESS_POLL_MAX_FACTOR } from '../functions/lib/poll-schedule';
import { parseS3Uri } from '../functions/lib/s3-uri';
import type { HistoryEventOutput } from '../local/stepfunctions/history';
import { startBenchAws, type BenchAws } from './bench-aws';
import { billExecution } from './billing';
import { uploadExample } from './example-fixtures';
import { atMost, figure, type MeasurementResult } from './figures';
import { modelPollLoop } from './poll-model';
import { runPipeline } from './pipeline-run';

const MEASUREMENT = 'cloud-cost';
const MAX_TRANSITIONS = 60;
const ENDPOINT = 'bench-cost';
/** The scenario: SageMaker takes 6 minutes to create the endpoint, the model 60 seconds to answer. */
const ENDPOINT_CREATION_SECONDS = 360;
const OUTPUT_SECONDS = 60;
const ENDPOINT_LOOP = ['DescribeEndpoint', 'EndpointReady?', 'WaitEndpointPoll'];
const OUTPUT_LOOP = ['CheckOutput', 'OutputReady?', 'WaitOutputPoll'];

export interface CloudCostOptions {
  /** Simulated time × this; 0.02 runs the 7-minute deployment in about 9 s. */
  waitScale: number;
  log: (line: string) => void;
}

/**
 * One successful deployment under the default poll settings, with SageMaker taking 6 minutes to create the
 * endpoint (simulatedDeploymentSeconds) and the echo container 60 s to answer (AEP_FAULT=slow), all scaled by
 * waitScale. Counted from the execution history as AWS bills it. Detection delays are in unscaled seconds:
 * from the moment the endpoint was InService (the output written) to the poll that saw it.
 */
export async function measureCloudCost(options: CloudCostOptions): Promise<MeasurementResult> {
  const scale = options.waitScale;
  const bench = await startBenchAws({ waitScale: scale, simulatedDeploymentSeconds: ENDPOINT_CREATION_SECONDS });
  try {
    const example = await uploadExample(bench.clients.s3, options.log);
    const baselineKey = 'bench-cost/baseline.json';
    // The echo container answers with its input: the payload is its own baseline.
    await bench.clients.s3.send(new PutObjectCommand({ Bucket: bench.aws.names.modelsBucket, Key: baselineKey, Body: example.payload }));
    const run = await runPipeline(bench, 'bench-cost', {
      modelDataUrl: example.modelDataUrl,
      endpointName: ENDPOINT,
      image: 'local/echo:latest',
      environment: { AEP_FAULT: `slow:${Math.round(OUTPUT_SECONDS * scale * 1000)}` },
      smokeTests: [
        {
          name: 'echo-60s',
          payloadUri: example.smokeCase.payloadUri,
          contentType: 'application/json',
          baseline: { uri: `s3://${bench.aws.names.modelsBucket}/${baselineKey}` },
          compare: { mode: 'exact' },
        },
      ],
    });
    const bill = billExecution(run.history);
    const toAwsSeconds = (ms: number) => ms / 1000 / scale;
    const endpointDelay = toAwsSeconds(lastExit(run.history, 'DescribeEndpoint') - (await endpointReadyAt(bench)));
    const outputDelay = toAwsSeconds(lastExit(run.history, 'CheckOutput') - (await outputWrittenAt(bench)));

    // The same deployment on an ideal clock, with fixed intervals and with the adaptive schedule in use.
    const loopEntries = [...ENDPOINT_LOOP, ...OUTPUT_LOOP].reduce((n, s) => n + (bill.entriesByState[s] ?? 0), 0);
    const fixedPart = bill.stateTransitions - loopEntries;
    const model = (maxFactor: number) => {
      const endpoint = modelPollLoop(ENDPOINT_CREATION_SECONDS, BUILT_IN_DEFAULTS.poll.endpointSeconds, maxFactor);
      const output = modelPollLoop(OUTPUT_SECONDS, BUILT_IN_DEFAULTS.poll.outputSeconds, maxFactor);
      return { stateTransitions: fixedPart + endpoint.stateTransitions + output.stateTransitions, endpoint, output };
    };
    const fixed = model(1);
    const adaptive = model(READINESS_POLL_MAX_FACTOR);
    return {
      figures: [
        figure(MEASUREMENT, 'state transitions per deployment (6 min endpoint, 60 s output)', bill.stateTransitions, '', atMost(MAX_TRANSITIONS)),
        figure(MEASUREMENT, 'Lambda invocations per deployment', bill.lambdaInvocations, ''),
        figure(MEASUREMENT, 'endpoint InService → detected', endpointDelay, 's'),
        figure(MEASUREMENT, 'output written → detected', outputDelay, 's'),
        figure(MEASUREMENT, 'modeled transitions, fixed 30 s / 10 s polls', fixed.stateTransitions, ''),
        figure(MEASUREMENT, `modeled transitions, adaptive polls (≤ ${READINESS_POLL_MAX_FACTOR}× base)`, adaptive.stateTransitions, ''),
      ],
      details: {
        waitScale: scale,
        scenario: { endpointCreationSeconds: ENDPOINT_CREATION_SECONDS, outputSeconds: OUTPUT_SECONDS, poll: BUILT_IN_DEFAULTS.poll },
        measured: { ...bill, endpointDetectionDelaySeconds: endpointDelay, outputDetectionDelaySeconds: outputDelay },
        modeled: { fixedStatesOutsidePollLoops: fixedPart, fixedIntervals: fixed, adaptive: { maxFactor: READINESS_POLL_MAX_FACTOR, ...adaptive } },
      },
    };
  } finally {
    await bench.stop();
  }
}

function lastExit(history: readonly HistoryEventOutput[], state: string): number {
  const exits = history.filter((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === state);
  if (exits.length === 0) throw new Error(`the history has no exit of ${state}`);
  return exits[exits.length - 1].timestamp.getTime();
}

async function endpointReadyAt(bench: BenchAws): Promise<number> {
  const endpoint = await bench.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  return endpoint.LastModifiedTime!.getTime();
}

async function outputWrittenAt(bench: BenchAws): Promise<number> {
  const endpoint = await bench.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
  const config = await bench.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const output = parseS3Uri(config.AsyncInferenceConfig!.OutputConfig!.S3OutputPath!)!;
  const listed = await bench.clients.s3.send(new ListObjectsV2Command({ Bucket: output.bucket, Prefix: output.key }));
  const outputs = listed.Contents ?? [];
  if (outputs.length !== 1) throw new Error(`expected one async output under ${output.key}, found ${outputs.length}`);
  return outputs[0].LastModified!.getTime();
}
