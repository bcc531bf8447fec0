// The example recommender's model server: plain Node, no dependencies, the SageMaker container contract —
// GET /ping and POST /invocations on SAGEMAKER_BIND_TO_PORT, the model read from SM_MODEL_DIR.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { indexCatalogue, recommend, RequestError } from './recommend.mjs';

const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? 8080);
const modelDir = process.env.SM_MODEL_DIR ?? '/opt/ml/model';

let index;
let model;
try {
  index = indexCatalogue(JSON.parse(readFileSync(join(modelDir, 'catalogue.json'), 'utf8')));
  model = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
} catch (error) {
  console.error(`recommender: cannot load the model from SM_MODEL_DIR=${modelDir}: ${error.message}`);
  process.exit(2);
}

const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') return json(res, 200, { status: 'healthy', model: model.version });
  if (req.method !== 'POST' || req.url !== '/invocations') return json(res, 404, { error: `no route ${req.method} ${req.url}` });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let request;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, { error: 'body must be JSON' });
    }
    try {
      return json(res, 200, recommend(index, request));
    } catch (error) {
      return json(res, error instanceof RequestError ? 400 : 500, { error: error.message });
    }
  });
});

server.listen(port, '127.0.0.1', () => console.log(`recommender ${model.version}: ${index.items.length} items on 127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
