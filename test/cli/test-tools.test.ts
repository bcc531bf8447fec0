import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';

/** `npm test` begins by saying what the suites need and how to get it, instead of `spawn aws ENOENT` deep in a suite. */
it('names what is missing and the one command that installs it', () => {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'check-test-tools.cjs')], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('the AWS CLI (aws)');
  expect(run.stderr).toContain('bash scripts/test.sh');
  // Without a PATH the AWS CLI is certainly missing; whether boto3 is too depends on /usr/bin/python3's packages.
  expect(run.stderr).toMatch(/apt-get install -y awscli( python3-boto3)?( python3-numpy)?( chromium)?\n/);
});

it('passes on this machine, which has them', () => {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'check-test-tools.cjs')], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
