import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { Option } from 'commander';
import { sfn } from '../../functions/lib/clients';
import { addConnectionOptions, connect } from '../aws-connection';
import { ExitCode, UsageError } from '../cli-errors';
import { defineCommand, jsonOption, type SetExitCode } from '../command';
import { writeHtmlReport } from '../html-report';
import { createOutput } from '../output';
import { addLocatorOptions, PipelineLocator, type LocatorOptions } from '../pipeline-locator';
import { executionArnFor } from '../start-execution';

interface ReportOptions extends LocatorOptions {
  html?: string;
  json?: boolean;
  local?: boolean;
  endpointUrl?: string;
  region?: string;
}

export function reportCommand(setExitCode: SetExitCode) {
  const command = defineCommand('report', 'Write one execution as a self-contained HTML file (no network access when opened): the workflow graph coloured by the run, timings, the gate\'s comparisons, the error and the audit record — what the local console shows.', [
    'aep report 3f2c9e1 --html aep-report.html',
    'aep report arn:aws:states:eu-west-1:123456789012:execution:aep-deploy-async-endpoint:3f2c9e1 --html out/report.html',
    'aep report --local my-run --html report.html',
  ])
    .argument('<execution>', 'execution name or ARN')
    .addOption(new Option('--html <file>', 'where to write the HTML report').makeOptionMandatory())
    .addOption(jsonOption());
  addConnectionOptions(command);
  addLocatorOptions(command, { artifactsBucket: true });
  return command.action(async (execution: string, options: ReportOptions) => setExitCode(await report(execution, options)));
}

async function report(execution: string, options: ReportOptions) {
  const output = createOutput({ json: options.json });
  const connection = connect(options);
  const locator = new PipelineLocator(connection, options);
  const executionArn = execution.startsWith('arn:') ? execution : executionArnFor(await locator.stateMachineArn(), execution);
  // The execution must exist: a typo is bad usage (exit 2), not an empty report.
  const described = await sfn()
    .send(new DescribeExecutionCommand({ executionArn }))
    .catch((error: Error) => {
      if (error.name === 'ExecutionDoesNotExist') throw new UsageError(`No execution ${execution} (${executionArn})`, 'List recent runs with: aep history --endpoint-name <name>');
      throw error;
    });
  const artifactsBucket = await locator.artifactsBucket().catch(() => undefined);
  const path = await writeHtmlReport(executionArn, options.html!, artifactsBucket);
  if (output.json) output.document({ executionArn, status: described.status, html: path });
  else output.line(path);
  output.progress(`HTML report of ${described.name} (${described.status}): ${path}`);
  return ExitCode.Succeeded;
}
