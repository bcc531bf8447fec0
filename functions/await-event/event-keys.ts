import * as z from 'zod';
import { ENDPOINT_STATE_CHANGE } from '../lib/event-waits';
import { endpointWaitsPrefix, listWaits, outputWaitKey } from './wait-store';

const endpointEventSchema = z.object({
  source: z.literal(ENDPOINT_STATE_CHANGE.source),
  'detail-type': z.literal(ENDPOINT_STATE_CHANGE.detailType),
  detail: z.object({ EndpointName: z.string().min(1) }),
});

const snsEventSchema = z.object({
  Records: z.array(z.object({ Sns: z.object({ Message: z.string() }) })),
});

const inferenceResultSchema = z.object({ inferenceId: z.string().min(1), eventName: z.literal('InferenceResult') });

/**
 * The waits an event concerns: every wait on the endpoint of a state change; the wait on each inference of
 * SageMaker's async notifications. Anything else concerns none (and is logged by the caller as such).
 */
export async function eventWaitKeys(event: unknown): Promise<string[]> {
  const endpointEvent = endpointEventSchema.safeParse(event);
  if (endpointEvent.success) return listWaits(endpointWaitsPrefix(endpointEvent.data.detail.EndpointName));
  const snsEvent = snsEventSchema.safeParse(event);
  if (!snsEvent.success) return [];
  return snsEvent.data.Records.flatMap((record) => {
    const result = inferenceResultSchema.safeParse(parseJson(record.Sns.Message));
    return result.success ? [outputWaitKey(result.data.inferenceId)] : [];
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
