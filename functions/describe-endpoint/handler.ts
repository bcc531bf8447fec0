import type { EndpointPoll, PipelineState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { describeEndpoint } from './describe-endpoint';

/** DescribeEndpoint: input the whole state, result at $.endpoint (one poll of the WaitForEndpoint loop). */
export const handler = step<PipelineState, EndpointPoll>('DescribeEndpoint', (state) =>
  describeEndpoint(state, new Date()),
);
