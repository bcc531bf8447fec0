import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../local/hosting/free-port';
import { Hosting, PORT_ATTEMPTS, type DeploymentSpec } from '../../local/hosting/hosting';
import { LocalAwsClients } from '../../local/hosting/local-aws-clients';
import { parseLocalConfig } from '../../local/local-config';
import { ECHO_IMAGE, REPO_ROOT, TEST_CONFIG } from './sagemaker.harness';

// The race itself, made certain: freeLoopbackPort hands out a port another socket already holds, as when a port is
// taken between the probe's close and the model server's bind.
jest.mock('../../local/hosting/free-port', () => {
  const actual = jest.requireActual('../../local/hosting/free-port');
  return { freeLoopbackPort: jest.fn(actual.freeLoopbackPort) };
});
const realFreePort = jest.requireActual('../../local/hosting/free-port').freeLoopbackPort as typeof freeLoopbackPort;
const freePort = freeLoopbackPort as jest.MockedFunction<typeof freeLoopbackPort>;

const noAws = new LocalAwsClients(() => {
  throw new Error('no S3 in this test');
});

const spec: DeploymentSpec = {
  endpointName: 'race',
  endpointConfigName: 'race-config',
  variants: [{ variantName: 'AllTraffic', modelName: 'race-model', image: ECHO_IMAGE, environment: {}, instanceType: 'ml.m5.large', instanceCount: 1 }],
};

describe('Hosting when a model server loses the race for its port', () => {
  let dataDir: string;
  let hosting: Hosting;
  let squatter: Server;
  let takenPort: number;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aep-port-race-'));
    hosting = new Hosting({ dataDir, aws: noAws, config: parseLocalConfig({ ...TEST_CONFIG, hosting: { healthCheckTimeoutSeconds: 3, stopGraceSeconds: 1 } }, REPO_ROOT) });
    // Accepts and drops connections, so a /ping to the taken port never looks healthy.
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    takenPort = (squatter.address() as { port: number }).port;
    freePort.mockReset();
  });
  afterEach(async () => {
    await hosting.close();
    await new Promise((resolve) => squatter.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the instance again on a fresh port when it exits with EADDRINUSE', async () => {
    freePort.mockResolvedValueOnce(takenPort).mockImplementation(realFreePort);
    await hosting.deploy(spec);
    const [instance] = hosting.instances('race');
    expect(instance.process.port).not.toBe(takenPort);
    expect(freePort).toHaveBeenCalledTimes(2);
    const answer = await fetch(`${instance.process.url}/invocations`, { method: 'POST', body: 'after the race' });
    expect(await answer.text()).toBe('after the race');
  });

  it(`gives up after ${PORT_ATTEMPTS} starts, naming the exit and the EADDRINUSE error`, async () => {
    freePort.mockResolvedValue(takenPort);
    await expect(hosting.deploy(spec)).rejects.toThrow(/took the container's port \(EADDRINUSE\) on each of 3 starts[\s\S]*exited with code 1 before passing the ping health check/);
    expect(freePort).toHaveBeenCalledTimes(PORT_ATTEMPTS);
    expect(hosting.instances('race')).toHaveLength(0);
  });
});
