/** The only door to aws-local-stepfunctions: the Node 20 polyfill must be in place before the library loads. */
import './promise-with-resolvers';

export { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
export type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';
