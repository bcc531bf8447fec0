import { nextPollSeconds } from '../functions/lib/poll-schedule';

/** How a poll loop meets a resource that becomes ready after `readyAfterSeconds`. */
export interface PollOutcome {
  polls: number;
  /** Seconds after the loop's first poll when the ready state is seen. */
  detectedAfterSeconds: number;
  /** detectedAfterSeconds − readyAfterSeconds. */
  delaySeconds: number;
  /** Task + Choice per poll, + Wait per poll that was not ready. */
  stateTransitions: number;
}

/**
 * The poll loop of the workflow (Task → Choice → Wait → Task …) on an ideal clock: the first poll at 0, then
 * waits of nextPollSeconds(base, polls so far, maxFactor), as describe-endpoint and check-output compute them.
 */
export function modelPollLoop(readyAfterSeconds: number, baseSeconds: number, maxFactor: number): PollOutcome {
  let at = 0;
  let polls = 1;
  while (at < readyAfterSeconds) {
    at += nextPollSeconds(baseSeconds, polls - 1, maxFactor);
    polls++;
  }
  return { polls, detectedAfterSeconds: at, delaySeconds: at - readyAfterSeconds, stateTransitions: polls * 3 - 1 };
}
