// The recommender's model logic, shared by the container (serve.mjs) and the build (which records v1's answers
// as baselines): cosine similarity over the catalogue's item embeddings.

/** Loads a catalogue ({ items: [{ item_id, embedding }] }) into unit vectors for fast cosine scoring. */
export function indexCatalogue(catalogue) {
  const dim = catalogue.dim;
  const items = catalogue.items.map((item) => ({ item_id: item.item_id, unit: normalise(item.embedding) }));
  const byId = new Map(items.map((item) => [item.item_id, item]));
  return { dim, items, byId };
}

export class RequestError extends Error {}

/** `{ item_id, top_k }` or `{ embedding, top_k }` → `{ recommendations: [{ item_id, score }] }`, best first. */
export function recommend(index, request) {
  if (typeof request !== 'object' || request === null) throw new RequestError('request must be a JSON object');
  const topK = request.top_k ?? 5;
  if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new RequestError('top_k must be an integer from 1 to 100');
  let query;
  let exclude;
  if (typeof request.item_id === 'string') {
    const item = index.byId.get(request.item_id);
    if (!item) throw new RequestError(`unknown item_id ${JSON.stringify(request.item_id)}`);
    query = item.unit;
    exclude = item.item_id;
  } else if (Array.isArray(request.embedding)) {
    if (request.embedding.length !== index.dim || !request.embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new RequestError(`embedding must be ${index.dim} finite numbers`);
    }
    query = normalise(request.embedding);
  } else {
    throw new RequestError('request needs "item_id" (string) or "embedding" (array of numbers)');
  }
  const scored = [];
  for (const item of index.items) {
    if (item.item_id === exclude) continue;
    scored.push({ item_id: item.item_id, score: dot(query, item.unit) });
  }
  // Ties break by id so answers are reproducible across runs and machines.
  scored.sort((a, b) => b.score - a.score || (a.item_id < b.item_id ? -1 : 1));
  return { recommendations: scored.slice(0, topK).map((s) => ({ item_id: s.item_id, score: Math.round(s.score * 1e4) / 1e4 })) };
}

function normalise(vector) {
  const norm = Math.sqrt(dot(vector, vector)) || 1;
  return vector.map((x) => x / norm);
}

function dot(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
