import { Option } from 'commander';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../../functions/lib/clients';
import { addConnectionOptions, connect } from '../aws-connection';
import { capacityLines, endpointCapacity } from '../endpoint-capacity';
import { ExitCode, UsageError } from '../cli-errors';
import { defineCommand, jsonOption, type SetExitCode } from '../command';
import { readHistory } from '../execution-follower';
import { createOutput, formatDuration, table } from '../output';
import { addLocatorOptions, PipelineLocator, type LocatorOptions } from '../pipeline-locator';
import { buildRunReport, reportDocument } from '../run-report';
import { RunProgress } from '../run-progress';
import { summaryLines } from '../run-summary';
import { executionArnFor } from '../start-execution';
import { pollIntervalFor, watchRun } from '../watch-run';
import { latestExecution } from '../latest-execution';

interface StatusOptions extends LocatorOptions {
  json?: boolean;
  follow?: boolean;
  endpointName?: string;
  local?: boolean;
  endpointUrl?: string;
  region?: string;
}

export function statusCommand(setExitCode: SetExitCode) {
  const command = defineCommand('status', 'Show one execution of the pipeline (the latest when none is named): status, current or failed state, error, smoke cases, timings.', [
    'aep status',
    'aep status 3f2c9e1 --json',
    'aep status arn:aws:states:eu-west-1:123456789012:execution:aep-deploy-async-endpoint:3f2c9e1',
    'aep status --local',
    'aep status --local --follow --endpoint-name recommender   # watch the run an upload just started',
  ])
    .argument('[execution]', 'execution name or ARN (default: the latest execution, of --endpoint-name if given)')
    .addOption(new Option('--endpoint-name <name>', 'the latest execution deploying this endpoint'))
    .addOption(new Option('--follow', 'follow a running execution with the live view of `deploy --wait`, then report it; exit as deploy --wait does'))
    .addOption(jsonOption());
  addConnectionOptions(command);
  addLocatorOptions(command, { artifactsBucket: true });
  return command.action(async (execution: string | undefined, options: StatusOptions) => setExitCode(await status(execution, options)));
}

async function status(execution: string | undefined, options: StatusOptions) {
  const output = createOutput({ json: options.json });
  const connection = connect(options);
  const locator = new PipelineLocator(connection, options);
  const executionArn = execution?.startsWith('arn:') ? execution : await findExecution(await locator.stateMachineArn(), execution, options.endpointName);
  if (!executionArn) {
    if (output.json) output.document({ execution: null });
    else output.line(options.endpointName ? `No executions deploying ${options.endpointName} yet.` : 'No executions yet.');
    return ExitCode.Succeeded;
  }
  if (options.follow) {
    const report = await watchRun({
      executionArn,
      output,
      pollIntervalMs: pollIntervalFor(connection.local),
      artifactsBucket: () => locator.artifactsBucket(),
    });
    if (output.json) output.document(reportDocument(report));
    else for (const line of summaryLines(report, output.resultColor)) output.line(line);
    return report.status === 'SUCCEEDED' ? ExitCode.Succeeded : ExitCode.GateFailed;
  }
  const described = await sfn()
    .send(new DescribeExecutionCommand({ executionArn }))
    .catch((error: Error) => {
      if (error.name === 'ExecutionDoesNotExist') throw new UsageError(`No execution ${execution} (${executionArn})`, 'List recent runs with: aep history --endpoint-name <name>');
      throw error;
    });
  const progress = new RunProgress();
  progress.apply(await readHistory(executionArn));
  const artifactsBucket = await locator.artifactsBucket().catch(() => undefined);
  const report = buildRunReport(described, progress, { artifactsBucket });
  const capacity = report.endpointName ? await endpointCapacity(report.endpointName) : undefined;

  if (output.json) {
    output.document({ ...reportDocument(report), ...(capacity ? { endpoint: capacity } : {}) });
    return ExitCode.Succeeded;
  }
  for (const line of summaryLines(report, output.resultColor)) output.line(line);
  if (report.currentState) {
    const inState = progress.currentStateEnteredAt ? formatDuration(Date.now() - progress.currentStateEnteredAt.getTime()) : '?';
    output.line(`  ${'now in'.padEnd(14)}${report.currentState} for ${inState}, ${report.polls} poll${report.polls === 1 ? '' : 's'} so far`);
  }
  output.line(`  ${'started'.padEnd(14)}${report.startDate ?? '?'}${report.stopDate ? `  stopped ${report.stopDate}` : ''}`);
  for (const line of capacity ? capacityLines(capacity) : []) output.line(line);
  output.line();
  const rows = report.states.map((s) => [s.state, String(s.entries), formatDuration(s.totalSeconds * 1000)]);
  for (const line of table(['STATE', 'ENTRIES', 'TIME'], rows)) output.line(`  ${line}`);
  return ExitCode.Succeeded;
}

/** The named execution's ARN, or the latest one's (of the endpoint, when given); undefined when there is none. */
async function findExecution(stateMachineArn: string, name: string | undefined, endpointName: string | undefined): Promise<string | undefined> {
  if (name) return executionArnFor(stateMachineArn, name);
  return latestExecution(stateMachineArn, endpointName);
}
