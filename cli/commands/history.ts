import { Option } from 'commander';
import { readDeploymentHistory } from '../audit-history';
import { addConnectionOptions, connect } from '../aws-connection';
import { ExitCode } from '../cli-errors';
import { defineCommand, jsonOption, positiveInteger, type SetExitCode } from '../command';
import { createOutput, table } from '../output';
import { addLocatorOptions, PipelineLocator, type LocatorOptions } from '../pipeline-locator';

interface HistoryOptions extends LocatorOptions {
  endpointName: string;
  limit: number;
  json?: boolean;
  local?: boolean;
  endpointUrl?: string;
  region?: string;
}

export function historyCommand(setExitCode: SetExitCode) {
  const command = defineCommand('history', 'What was deployed to an endpoint, when, by which run, with which verdict — from the audit records in the artifacts bucket.', [
    'aep history --endpoint-name recommender',
    'aep history --local --endpoint-name recommender --limit 5 --json',
  ])
    .requiredOption('--endpoint-name <name>', 'the endpoint')
    .addOption(new Option('--limit <n>', 'newest records to show').argParser(positiveInteger('--limit')).default(20))
    .addOption(jsonOption());
  addConnectionOptions(command);
  addLocatorOptions(command, { stateMachine: false, artifactsBucket: true });
  return command.action(async (options: HistoryOptions) => setExitCode(await history(options)));
}

async function history(options: HistoryOptions) {
  const output = createOutput({ json: options.json });
  const connection = connect(options);
  const bucket = await new PipelineLocator(connection, options).artifactsBucket();
  const entries = await readDeploymentHistory(bucket, options.endpointName, options.limit);
  if (output.json) {
    output.document({ endpointName: options.endpointName, deployments: entries });
    return ExitCode.Succeeded;
  }
  if (entries.length === 0) {
    output.line(`No deployments of ${options.endpointName} recorded in s3://${bucket}/audit/${options.endpointName}/`);
    return ExitCode.Succeeded;
  }
  const rows = entries.map((e) => [e.at.replace('T', ' ').slice(0, 19), e.executionName, e.verdict, e.endpointConfigName ?? '-', e.modelDataUrl ?? '-', e.error ? `${e.error}: ${e.cause ?? ''}`.slice(0, 120) : '']);
  for (const line of table(['STARTED (UTC)', 'EXECUTION', 'VERDICT', 'CONFIG', 'MODEL', 'ERROR'], rows)) output.line(line);
  return ExitCode.Succeeded;
}
