import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestAws, type TestAws } from '../helpers/embedded';

const run = promisify(execFile);
let t: TestAws;
let report: { unknownServices: Record<string, string>; probe: Record<string, { implemented: string[]; refused: string[] }>; calls: Array<{ service: string; operation: string; problems: string[] }> };

beforeAll(async () => {
  t = await startTestAws();
  const { stdout } = await run('python3', [join(__dirname, 'conformance', 'conformance.py'), t.aws.url, t.aws.names.modelsBucket], {
    env: { ...t.cliEnv, AWS_ENDPOINT_URL: '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  report = JSON.parse(stdout);
}, 300_000);
afterAll(() => t?.stop());

test('every scenario response parses with boto3 and matches its output shape (required members, enums, types)', () => {
  expect(report.calls.length).toBeGreaterThan(40);
  expect(report.calls.filter((c) => c.problems.length > 0)).toEqual([]);
});

/** The README's table: botocore service name → the operations it says are implemented, and the refused count. */
function readmeTable(): Map<string, { implemented: string[] }> {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const table = /<!-- conformance-table:start -->([\s\S]*?)<!-- conformance-table:end -->/.exec(readme)?.[1] ?? '';
  const rows = new Map<string, { implemented: string[] }>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| ') && l.includes('| `'))) {
    const cells = line.split(' | ');
    const service = /`([^`]+)`/.exec(cells[1])![1];
    const implemented = cells[2] === '—' ? [] : cells[2].split(', ').map((op) => op.trim());
    rows.set(service, { implemented });
  }
  return rows;
}

test("the README's embedded-AWS table says exactly what is implemented and refused, per service", () => {
  const table = readmeTable();
  expect([...table.keys()].sort()).toEqual(Object.keys(report.probe).sort());
  // Only the implemented lists: how many operations an API has depends on the installed botocore's models.
  for (const [service, { implemented }] of Object.entries(report.probe)) {
    expect({ service, ...table.get(service) }).toEqual({ service, implemented });
  }
});

test('every implemented operation is driven by the scenario, whose responses were checked above', () => {
  const driven = new Set(report.calls.map((c) => `${c.service}:${c.operation}`));
  const notDriven = Object.entries(report.probe).flatMap(([service, { implemented }]) => implemented.filter((op) => !driven.has(`${service}:${op}`)).map((op) => `${service}:${op}`));
  expect(notDriven).toEqual([]);
});

test('operations the embedded AWS lacks are refused with the code of their protocol', () => {
  expect(report.probe.sagemaker.refused).toContain('CreateTrainingJob');
  expect(report.probe.sns.refused).toContain('CreatePlatformApplication');
  expect(report.probe.stepfunctions.refused).toContain('CreateStateMachine');
  // S3: sub-resources it lacks, and S3's other REST-XML APIs (directory buckets, Object Lambda), are NotImplemented.
  expect(report.probe.s3.refused).toEqual(expect.arrayContaining(['PutBucketTagging', 'GetObjectAttributes', 'CreateSession', 'ListDirectoryBuckets', 'WriteGetObjectResponse']));
});

test('a service the embedded AWS does not have is refused in its protocol: Query, JSON and REST-JSON', () => {
  expect(report.unknownServices).toEqual({ autoscaling: 'InvalidAction', dynamodb: 'UnknownOperationException', lambda: 'UnknownOperationException' });
});
