import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { buildRunReport } from '../../cli/run-report';
import { RunProgress } from '../../cli/run-progress';
import { summaryLines } from '../../cli/run-summary';
import { EXECUTION_ARN, RECORDED_HISTORY, SMOKE_CASES, STARTED_AT } from './fixtures/recorded-history';

const failedExecution = {
  $metadata: {},
  executionArn: EXECUTION_ARN,
  name: 'run-1',
  status: 'FAILED',
  startDate: STARTED_AT,
  stopDate: new Date(STARTED_AT.getTime() + 6730),
  error: 'BaselineMismatch',
  cause: SMOKE_CASES[1].cause,
  input: '{"modelDataUrl":"s3://aep-models/models/recommender/model.tar.gz"}',
} as DescribeExecutionCommandOutput;

describe('run report', () => {
  const progress = new RunProgress();
  progress.apply(RECORDED_HISTORY);

  it('of a failed run: error, cause, failed state, cases and rollback from the history, audit location', () => {
    const report = buildRunReport(failedExecution, progress, { artifactsBucket: 'aep-artifacts' });
    expect(report).toMatchObject({
      executionArn: EXECUTION_ARN,
      executionName: 'run-1',
      status: 'FAILED',
      durationSeconds: 6.73,
      endpointName: 'recommender',
      modelDataUrl: 's3://aep-models/models/recommender/model.tar.gz',
      error: { error: 'BaselineMismatch', cause: SMOKE_CASES[1].cause, state: 'GateFailed' },
      auditUri: 's3://aep-artifacts/audit/recommender/run-1.json',
      rollback: { actions: ['restored endpoint recommender to config recommender-aaaaaaaaaa'] },
      polls: 1,
      retries: 1,
    });
    expect(report.cases.map((c) => [c.name, c.passed])).toEqual([['sneakers-top5', true], ['dresses-top5', false]]);
    expect(report.states.find((s) => s.state === 'DescribeEndpoint')).toMatchObject({ entries: 2 });
    expect(report.result).toBeUndefined();
    // The JSON document is plain data.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('of a run the embedded AWS closed on restart: no audit record to point at, and the state it was in', () => {
    const interrupted = new RunProgress();
    // Cut the recorded run short inside its endpoint poll loop, as a restart would.
    const cut = RECORDED_HISTORY.findIndex((e) => e.stateEnteredEventDetails?.name === 'WaitEndpointPoll');
    expect(cut).toBeGreaterThan(0);
    interrupted.apply(RECORDED_HISTORY.slice(0, cut + 1));
    const report = buildRunReport(
      { ...failedExecution, error: 'EmbeddedAwsRestarted', cause: 'The embedded AWS restarted while the execution was in WaitEndpointPoll' },
      interrupted,
      { artifactsBucket: 'aep-artifacts' },
    );
    expect(report.error).toMatchObject({ error: 'EmbeddedAwsRestarted', state: 'WaitEndpointPoll' });
    expect(report.auditUri).toBeUndefined();
  });

  it('of a successful run: the DeploymentResult is the source of cases and audit record', () => {
    const result = { endpointName: 'recommender', endpointConfigName: 'recommender-bbbbbbbbbb', modelName: 'recommender-bbbbbbbbbb', action: 'create', verdict: 'passed', cases: [SMOKE_CASES[0]], auditUri: 's3://aep-artifacts/audit/recommender/run-2.json', deletedResources: [] };
    const report = buildRunReport({ ...failedExecution, status: 'SUCCEEDED', error: undefined, cause: undefined, output: JSON.stringify(result) }, new RunProgress());
    expect(report.error).toBeUndefined();
    expect(report.result).toMatchObject({ endpointConfigName: 'recommender-bbbbbbbbbb' });
    expect(report.cases).toHaveLength(1);
    expect(report.auditUri).toBe(result.auditUri);
    const text = summaryLines(report).join('\n');
    expect(text).toMatch(/^Deployment succeeded in 6\.7s/);
    expect(text).toContain('config        recommender-bbbbbbbbbb');
    expect(text).toContain('✓ pass  sneakers-top5  topk  overlap=1 k=5  latency 0.4s');
  });

  it('says a successful run without smoke cases went live without a gate', () => {
    const result = { endpointName: 'recommender', endpointConfigName: 'recommender-cccccccccc', modelName: 'recommender-cccccccccc', action: 'create', verdict: 'passed', cases: [], auditUri: 's3://aep-artifacts/audit/recommender/run-3.json', deletedResources: [] };
    const report = buildRunReport({ ...failedExecution, status: 'SUCCEEDED', error: undefined, cause: undefined, output: JSON.stringify(result) }, new RunProgress());
    expect(summaryLines(report).join('\n')).toContain('smoke tests   none: deployed without a gate');
  });

  it('summarises a failure with the error, its cause and the failed state', () => {
    const text = summaryLines(buildRunReport(failedExecution, progress)).join('\n');
    expect(text).toMatch(/^Deployment FAILED: BaselineMismatch in 6\.7s/);
    expect(text).toContain('failed state  GateFailed');
    expect(text).toContain('✗ FAIL  dresses-top5  topk  overlap=0.200 k=5');
  });
});
