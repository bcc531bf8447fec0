import { echoDeployment, expectEnding, readAuditRecord, runDeployment, runResources, sharedEchoAws, statesEntered } from '../helpers/scenario';

/**
 * A deployment without smoke cases (smokeTests defaults to []): it deploys, and the gate is recorded as having no
 * cases — not a States.Runtime failure that skips the rollback, the audit record, the event and the lock release.
 */

const testAws = sharedEchoAws();

test('smokeTests: [] deploys, records "no cases", releases the lock (a second run deploys too)', async () => {
  const t = testAws();
  const input = { ...echoDeployment('no-cases'), smokeTests: [] };
  const first = await runDeployment(t, 'no-cases-1', input);
  const firstResources = runResources('no-cases', first.executionArn);
  await expectEnding(t, first, {
    endpointName: 'no-cases',
    status: 'SUCCEEDED',
    left: { models: [firstResources.model], endpointConfigs: [firstResources.endpointConfig], endpoints: ['no-cases'] },
    serving: firstResources.endpointConfig,
  });
  expect(statesEntered(first.history)).toEqual(expect.arrayContaining(['AnySmokeCases?', 'NoSmokeCases', 'Verdict?', 'Finalize', 'Succeed']));
  expect(statesEntered(first.history)).not.toContain('SmokeTests');
  const audit = await readAuditRecord(t, 'no-cases', first.name);
  expect(audit.smoke).toEqual({ cases: [], anyFailed: false, noCases: true });
  expect(audit.finalize).toMatchObject({ warnings: [expect.stringMatching(/no smoke cases/)] });

  // the lock was released: an update of the same endpoint goes through
  const second = await runDeployment(t, 'no-cases-2', input);
  const secondResources = runResources('no-cases', second.executionArn);
  await expectEnding(t, second, {
    endpointName: 'no-cases',
    status: 'SUCCEEDED',
    left: {
      models: [firstResources.model, secondResources.model].sort(),
      endpointConfigs: [firstResources.endpointConfig, secondResources.endpointConfig].sort(),
      endpoints: ['no-cases'],
    },
    serving: secondResources.endpointConfig,
  });
}, 120_000);
