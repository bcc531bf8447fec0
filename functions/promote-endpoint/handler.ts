import type { PipelineState, PromotionState } from '../lib/pipeline-state';
import { step } from '../lib/step';
import { promoteEndpoint } from './promote';

/** PromoteEndpoint: the whole state → $.promotion. */
export const handler = step<PipelineState, PromotionState>('PromoteEndpoint', (state) => promoteEndpoint(state, new Date()));
