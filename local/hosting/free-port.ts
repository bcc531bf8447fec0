import { createServer } from 'node:net';
import { LOOPBACK } from '../dispatcher';

/** A loopback port the OS just handed out; the model server binds it moments later (SAGEMAKER_BIND_TO_PORT). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
