import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { Option } from 'commander';
import { s3, sagemakerRuntime } from '../../functions/lib/clients';
import { artifactKeys } from '../../functions/lib/names';
import { parseS3Uri, toS3Uri } from '../../functions/lib/s3-uri';
import { waitForAsyncResult, type AsyncResult } from '../async-result';
import { addConnectionOptions, connect } from '../aws-connection';
import { ExitCode, InfrastructureError, UsageError } from '../cli-errors';
import { defineCommand, jsonOption, positiveInteger, type SetExitCode } from '../command';
import { createOutput, type Output } from '../output';
import { addLocatorOptions, PipelineLocator, type LocatorOptions } from '../pipeline-locator';

interface InvokeOptions extends LocatorOptions {
  endpointName: string;
  input: string;
  contentType?: string;
  accept?: string;
  wait?: boolean;
  displayResults?: boolean;
  timeout: number;
  json?: boolean;
  local?: boolean;
  endpointUrl?: string;
  region?: string;
}

/** The folder under async-inputs/<endpoint>/ for inputs the CLI uploads (the pipeline's own use execution names). */
export const CLI_INPUT_FOLDER = 'cli';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/jsonlines',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.npy': 'application/x-npy',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

export function invokeCommand(setExitCode: SetExitCode) {
  const command = defineCommand('invoke', 'Invoke an asynchronous endpoint: upload the input to the async input prefix, InvokeEndpointAsync, print the OutputLocation; with --wait, the result.', [
    'aep invoke --endpoint-name recommender --input payload.json',
    'aep invoke --local --endpoint-name recommender --input examples/recommender/build/payloads/sneakers-top5.json --wait --display-results   # payloads built by npm start',
    'aep invoke --endpoint-name recommender --input s3://my-bucket/requests/batch-7.csv --content-type text/csv --wait --timeout 3600 --json',
  ])
    .requiredOption('--endpoint-name <name>', 'the endpoint to invoke')
    .requiredOption('--input <file|s3-uri>', 'a local file (uploaded to the artifacts bucket) or an s3:// URI')
    .addOption(new Option('--content-type <type>', 'Content-Type of the input (default: from the file extension, else application/json)'))
    .addOption(new Option('--accept <type>', 'Accept: the output format to ask the model for'))
    .addOption(new Option('--wait', 'wait for the output (or the failure object) and print it'))
    .addOption(new Option('--display-results', 'with --wait: pretty-print a JSON result'))
    .addOption(new Option('--timeout <seconds>', 'with --wait: how long to wait').argParser(positiveInteger('--timeout')).default(900))
    .addOption(jsonOption());
  addConnectionOptions(command);
  addLocatorOptions(command, { stateMachine: false, artifactsBucket: true });
  command.addHelpText('after', '\nExit codes: 0 output received (or submitted, without --wait) · 1 the invocation failed (failure object printed) · 2 bad usage · 3 timeout or infrastructure error\n');
  return command.action(async (options: InvokeOptions) => setExitCode(await invoke(options)));
}

async function invoke(options: InvokeOptions) {
  const output = createOutput({ json: options.json });
  if (options.displayResults && !options.wait) throw new UsageError('--display-results needs --wait');
  const local = options.input.startsWith('s3://') ? undefined : checkedFile(options.input);
  if (!local && !parseS3Uri(options.input)) throw new UsageError(`--input ${options.input} is not an s3://bucket/key URI`);
  const contentType = options.contentType ?? CONTENT_TYPES[extname(options.input).toLowerCase()] ?? 'application/json';
  const connection = connect(options);

  const inputLocation = local ? await upload(local, options, contentType, new PipelineLocator(connection, options)) : options.input;
  const invoked = await sagemakerRuntime().send(
    new InvokeEndpointAsyncCommand({ EndpointName: options.endpointName, InputLocation: inputLocation, ContentType: contentType, Accept: options.accept }),
  );
  if (!invoked.OutputLocation) throw new InfrastructureError(`InvokeEndpointAsync on ${options.endpointName} returned no OutputLocation`);
  const submitted = {
    endpointName: options.endpointName,
    inferenceId: invoked.InferenceId,
    inputLocation,
    outputLocation: invoked.OutputLocation,
    failureLocation: invoked.FailureLocation,
  };
  // Printed at once: a caller that does not wait still knows where the result will be.
  if (output.json) output.progress(`OutputLocation: ${submitted.outputLocation}`);
  else {
    output.line(`OutputLocation: ${submitted.outputLocation}`);
    if (submitted.failureLocation) output.line(`FailureLocation: ${submitted.failureLocation}`);
    output.line(`InferenceId: ${submitted.inferenceId ?? '-'}`);
  }
  if (!options.wait) {
    if (output.json) output.document({ ...submitted, status: 'submitted' });
    return ExitCode.Succeeded;
  }

  output.progress(`Waiting up to ${options.timeout}s for the result…`);
  const result = await waitForAsyncResult({
    outputLocation: submitted.outputLocation,
    failureLocation: submitted.failureLocation,
    deadline: Date.now() + options.timeout * 1000,
    initialDelayMs: connection.local ? 100 : 500,
  });
  report(output, submitted, result, options.displayResults === true);
  if (result.outcome === 'failure') {
    output.progress(`aep: the invocation failed; SageMaker wrote ${result.location} (its content says why)`);
    return ExitCode.GateFailed;
  }
  return ExitCode.Succeeded;
}

function report(output: Output, submitted: Record<string, unknown>, result: AsyncResult, pretty: boolean): void {
  if (output.json) {
    output.document({ ...submitted, status: result.outcome === 'output' ? 'succeeded' : 'failed', result: parsedOrText(result.body) });
    return;
  }
  const parsed = parsedOrText(result.body);
  const text = pretty && typeof parsed !== 'string' ? JSON.stringify(parsed, null, 2) : result.body;
  if (result.outcome === 'output') output.line(text);
  else output.stderr.write(`${text}\n`);
}

function parsedOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function checkedFile(path: string): string {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(`--input ${path} is neither a readable file nor an s3:// URI`);
  }
  return path;
}

async function upload(file: string, options: InvokeOptions, contentType: string, locator: PipelineLocator): Promise<string> {
  const bucket = await locator.artifactsBucket();
  const key = artifactKeys.asyncInput(options.endpointName, CLI_INPUT_FOLDER, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}-${basename(file)}`);
  await s3().send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: statSync(file).size, ContentType: contentType }),
  );
  return toS3Uri({ bucket, key });
}
