import { Option } from 'commander';
import { addConnectionOptions, connect } from '../aws-connection';
import { ExitCode, UsageError } from '../cli-errors';
import { collect, defineCommand, jsonOption, positiveInteger, type SetExitCode } from '../command';
import { buildExecutionInput } from '../execution-input';
import { writeHtmlReport } from '../html-report';
import { writeJUnit } from '../junit-report';
import { createOutput } from '../output';
import { addLocatorOptions, PipelineLocator } from '../pipeline-locator';
import { reportDocument } from '../run-report';
import { summaryLines } from '../run-summary';
import { reportInterruption } from '../interrupted-run';
import { checkExecutionName, startExecution } from '../start-execution';
import { pollIntervalFor, watchRun } from '../watch-run';

interface DeployOptions {
  modelUri?: string;
  endpointName?: string;
  input?: string;
  set?: string[];
  name?: string;
  wait?: boolean;
  timeout?: number;
  json?: boolean;
  junit?: string;
  report?: string;
  local?: boolean;
  endpointUrl?: string;
  region?: string;
  stateMachineArn?: string;
  stackName?: string;
}

export function deployCommand(setExitCode: SetExitCode) {
  const command = defineCommand('deploy', 'Run the deployment workflow for a model artifact; with --wait, gate on its outcome (exit 0 only if the new model is live and matches its baseline).', [
    'aep deploy --model-uri s3://my-models/models/recommender/v2/model.tar.gz --wait',
    'aep deploy --model-uri s3://my-models/models/recommender/v2/model.tar.gz --input deploy.json --set instanceCount=2 --set environment.LOG_LEVEL=debug',
    'aep deploy --model-uri s3://my-models/models/recommender/v2/model.tar.gz --name "$GITHUB_SHA" --wait --timeout 3600 --junit reports/aep.xml --report reports/aep.html',
    'aep deploy --local --model-uri s3://aep-models/models/recommender/v1/model.tar.gz --wait --json',
  ])
    .addOption(new Option('--model-uri <s3-uri>', 'the model.tar.gz to deploy (the execution input\'s modelDataUrl)'))
    .addOption(new Option('--endpoint-name <name>', 'the endpoint to create or update (default: the folder after models/ in the key)'))
    .addOption(new Option('--input <file>', 'a deploy.json or full execution input to start from'))
    .addOption(new Option('--set <key=value>', 'set a field by dotted path, value parsed as JSON when it is JSON (repeatable)').argParser(collect))
    .addOption(new Option('--name <run-name>', 'execution name; repeating a run with the same name and input follows the existing execution'))
    .addOption(new Option('--wait', 'follow the execution to its end and exit with its outcome'))
    .addOption(new Option('--timeout <seconds>', 'with --wait: stop waiting after this long (exit 3)').argParser(positiveInteger('--timeout')))
    .addOption(jsonOption())
    .addOption(new Option('--junit <file>', 'with --wait: write a JUnit XML report (one testcase per smoke case)'))
    .addOption(new Option('--report <file>', 'with --wait: write the self-contained HTML report of the run (as `aep report --html`)'));
  addConnectionOptions(command);
  addLocatorOptions(command, { artifactsBucket: true });
  command.addHelpText(
    'after',
    '\nExit codes: 0 succeeded · 1 the gate failed (execution FAILED/ABORTED/TIMED_OUT) · 2 bad usage or input · 3 timeout or infrastructure error\n',
  );
  return command.action(async (options: DeployOptions & { artifactsBucket?: string }) => setExitCode(await deploy(options)));
}

async function deploy(options: DeployOptions & { artifactsBucket?: string }) {
  const output = createOutput({ json: options.json });
  if (options.junit && !options.wait) throw new UsageError('--junit needs --wait (the report is the outcome of the run)');
  if (options.timeout && !options.wait) throw new UsageError('--timeout needs --wait');
  if (options.report && !options.wait) throw new UsageError('--report needs --wait (the report is the outcome of the run)');
  // Everything the user typed is checked before any call to AWS: bad input exits 2 with nothing started.
  const input = buildExecutionInput({ inputFile: options.input, sets: options.set, modelUri: options.modelUri, endpointName: options.endpointName });
  if (options.name !== undefined) checkExecutionName(options.name);
  const connection = connect(options);
  const locator = new PipelineLocator(connection, options);
  const deadline = options.timeout ? Date.now() + options.timeout * 1000 : undefined;

  const stateMachineArn = await locator.stateMachineArn();
  const started = await startExecution(stateMachineArn, input, options.name);
  output.progress(
    started.reused
      ? `Execution ${started.executionName} already exists (${started.status}) with this input: following it instead of starting another.`
      : `Started execution ${started.executionName}`,
  );
  output.progress(`  ${started.executionArn}`);

  if (!options.wait) {
    if (output.json) {
      output.document({ executionArn: started.executionArn, executionName: started.executionName, status: started.status, startDate: started.startDate?.toISOString(), reused: started.reused });
    } else {
      output.line(started.executionArn);
    }
    return ExitCode.Succeeded;
  }

  const connectionFlags = options.endpointUrl ? ` --endpoint-url ${options.endpointUrl}` : options.local ? ' --local' : '';
  const stopReporting = reportInterruption(started, { json: output.json, connectionFlags });
  const report = await watchRun({
    executionArn: started.executionArn,
    output,
    deadline,
    pollIntervalMs: pollIntervalFor(connection.local),
    artifactsBucket: () => locator.artifactsBucket(),
  }).finally(stopReporting);
  if (options.junit) {
    writeJUnit(options.junit, report);
    output.progress(`JUnit report: ${options.junit}`);
  }
  if (options.report) {
    output.progress(`HTML report: ${await writeHtmlReport(started.executionArn, options.report, await locator.artifactsBucket().catch(() => undefined))}`);
  }
  if (output.json) output.document({ ...reportDocument(report), reused: started.reused });
  else for (const line of summaryLines(report, output.resultColor)) output.line(line);
  return report.status === 'SUCCEEDED' ? ExitCode.Succeeded : ExitCode.GateFailed;
}
