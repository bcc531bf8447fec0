// A model server that returns its input: the cheapest container, used by benchmarks and fault-injection tests.
// Honours SAGEMAKER_BIND_TO_PORT like any SageMaker container. AEP_FAULT makes it misbehave on purpose:
//   exit-at-start   exits with code 3 before listening
//   never-healthy   listens but answers /ping with 503
//   http-500        answers /invocations with 500
//   slow:<ms>       waits <ms> before answering /invocations
//   exit-after:<ms> serves (healthy) for <ms>, then exits with code 4: a crash-looping model
// It hands back the caller's X-Amzn-SageMaker-Custom-Attributes as its own (as a model that uses them would), and
// with Accept: application/x-aep-headers answers the X-Amzn-SageMaker-* headers it received instead of the body.
import { createServer } from 'node:http';

const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080);
const fault = process.env.AEP_FAULT ?? '';

if (fault === 'exit-at-start') {
  console.error('echo: exiting at start (AEP_FAULT=exit-at-start)');
  process.exit(3);
}
const delayMs = fault.startsWith('slow:') ? Number(fault.slice('slow:'.length)) : 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') {
    res.writeHead(fault === 'never-healthy' ? 503 : 200).end();
    return;
  }
  if (req.method === 'POST' && req.url === '/invocations') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        if (fault === 'http-500') {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'injected failure (AEP_FAULT=http-500)' }));
          return;
        }
        const attributes = req.headers['x-amzn-sagemaker-custom-attributes'];
        const headers = { 'content-type': req.headers.accept && req.headers.accept !== '*/*' ? req.headers.accept : (req.headers['content-type'] ?? 'application/octet-stream') };
        if (attributes) headers['x-amzn-sagemaker-custom-attributes'] = `echo;${attributes}`;
        res.writeHead(200, headers);
        if (req.headers.accept === 'application/x-aep-headers') {
          res.end(JSON.stringify(Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-amzn-sagemaker-')))));
        } else {
          res.end(Buffer.concat(chunks));
        }
      }, delayMs);
    });
    return;
  }
  res.writeHead(404).end();
});
server.listen(port, '127.0.0.1', () => console.log(`echo: listening on 127.0.0.1:${port}`));
if (fault.startsWith('exit-after:')) {
  setTimeout(() => {
    console.error(`echo: crashing (AEP_FAULT=${fault})`);
    process.exit(4);
  }, Number(fault.slice('exit-after:'.length)));
}
process.on('SIGTERM', () => server.close(() => process.exit(0)));
