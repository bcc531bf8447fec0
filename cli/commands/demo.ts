import { Option } from 'commander';
import { defineCommand, type SetExitCode } from '../command';
import type { DemoFlags } from '../demo-scenario';

export function demoCommand(setExitCode: SetExitCode) {
  return defineCommand('demo', 'Run the whole pipeline on the embedded AWS with the example recommender: deploy v1 (gate passes), then a broken model (gate fails, endpoint rolled back to v1 and still answering). This is `npm start`.', [
    'npm start',
    'aep demo',
    'AEP_PORT=4566 aep demo --data-dir .aep-demo   # keep the data afterwards',
    'npm start -- --keep-open   # then look at both runs in the console until Ctrl+C',
  ])
    .addOption(new Option('--data-dir <dir>', 'keep the embedded AWS\'s data here (default: a temporary directory, removed afterwards)'))
    .addOption(new Option('--verbose', 'also print the pipeline steps\' log lines on stderr'))
    .addOption(new Option('--keep-open', 'after the demo, keep the embedded AWS and its console at /_aep/console/ serving until Ctrl+C'))
    .action(async (flags: DemoFlags) => {
      // Loaded on use: the embedded AWS costs a second of start-up that the other commands should not pay.
      const { runDemo } = require('../demo-scenario') as typeof import('../demo-scenario');
      setExitCode(await runDemo(flags));
    });
}

