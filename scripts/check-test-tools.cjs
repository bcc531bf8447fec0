#!/usr/bin/env node
'use strict';
// `npm test` starts here: the suites drive the embedded AWS with the real AWS CLI, boto3, Python models and a
// browser. Say at once what is missing and how to get it, instead of `spawn aws ENOENT` ten minutes in.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');

const works = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const python = (code) => works('python3', ['-c', code]) || works('/usr/bin/python3', ['-c', code]);

const checks = [
  { what: 'the AWS CLI (aws)', ok: works('aws', ['--version']), apt: 'awscli' },
  { what: 'boto3 for python3', ok: python('import boto3'), apt: 'python3-boto3' },
  { what: 'numpy for /usr/bin/python3 (the script-mode example model)', ok: works('/usr/bin/python3', ['-c', 'import numpy']), apt: 'python3-numpy' },
  { what: 'Chromium at /usr/bin/chromium (the console browser tests)', ok: existsSync('/usr/bin/chromium'), apt: 'chromium' },
];
const missing = checks.filter((c) => !c.ok);
if (missing.length > 0) {
  process.stderr.write(
    `npm test needs ${missing.map((c) => c.what).join(', ')}.\n` +
      `  Install everything and run the tests in one go:  bash scripts/test.sh\n` +
      `  or install just these (Debian/Ubuntu):            sudo apt-get install -y ${missing.map((c) => c.apt).join(' ')}\n`,
  );
  process.exit(1);
}
