import { Command, Option } from 'commander';
import { ExitCode, UsageError } from '../cli-errors';
import { defineCommand, type SetExitCode } from '../command';

interface LocalUpFlags {
  port?: number;
  dataDir?: string;
  config?: string;
  waitScale?: number;
  verbose?: boolean;
  /** commander's --iam-template / --no-iam: a path, or false. */
  iam?: boolean;
  iamTemplate?: string;
}

const port = (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new UsageError(`--port must be 0-65535, not "${text}"`);
  return value;
};

const waitScale = (text: string): number => {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`--wait-scale must be a number > 0, not "${text}"`);
  return value;
};

/** `aep local`: the embedded AWS. */
export function localCommand(setExitCode: SetExitCode) {
  const up = defineCommand('up', 'Start the embedded AWS (S3, SageMaker, SageMaker Runtime, SNS, Step Functions, STS, IAM) with the pipeline ready, until Ctrl+C.', [
    'aep local up',
    'aep local up --port 4567 --data-dir /tmp/aep --config ./aep.local.json',
    'AEP_LOCAL_WAIT_SCALE=0.05 aep local up   # pipeline waits 20x shorter',
    'npm run synth && aep local up            # IAM enforced from cdk.out/AepPipeline.template.json',
  ])
    .addOption(new Option('--port <port>', 'port on 127.0.0.1 (default $AEP_PORT, else 4566; 0 = any free port)').argParser(port))
    .addOption(new Option('--data-dir <dir>', 'where objects, resources and executions persist (default $AEP_DATA_DIR, else .aep)'))
    .addOption(new Option('--config <file>', 'image → local command map (default ./aep.local.json)'))
    .addOption(new Option('--wait-scale <factor>', 'multiply the pipeline\'s Wait and retry intervals (default $AEP_LOCAL_WAIT_SCALE, else 1)').argParser(waitScale))
    .addOption(new Option('--verbose', 'also print the pipeline steps\' log lines on stderr (they always go to <data dir>/logs/steps.log)'))
    .addOption(new Option('--iam-template <file>', 'enforce IAM from this synthesized template (default cdk.out/AepPipeline.template.json when it exists)'))
    .addOption(new Option('--no-iam', 'do not evaluate IAM even when a synthesized template exists'))
    .action(async (flags: LocalUpFlags) => {
      // Loaded on use: the embedded AWS costs a second of start-up that the other commands should not pay.
      const { runLocalUp } = require('../../local/local-up') as typeof import('../../local/local-up');
      const code = await runLocalUp({
        port: flags.port,
        dataDir: flags.dataDir,
        configPath: flags.config,
        waitScale: flags.waitScale,
        verbose: flags.verbose,
        iamTemplate: flags.iam === false ? false : flags.iamTemplate,
      });
      // runLocalUp returns 1 when the embedded AWS could not start: for the CLI that is an infrastructure error.
      setExitCode(code === 0 ? ExitCode.Succeeded : ExitCode.Infrastructure);
    });
  return new Command('local').description('Run the embedded AWS on this machine').addCommand(up);
}
