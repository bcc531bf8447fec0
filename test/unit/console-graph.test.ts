import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';

/**
 * The console's graph comes from the ASL file itself: every state of the workflow (Map iterations included) is a
 * node, and every transition (Next, Choices, Default, Catch) an edge — whatever states others add to the file.
 */

interface Graph {
  nodes: { id: string; type: string; parent?: string }[];
  edges: { from: string; to: string; kind: string }[];
  startAt: string;
}
type State = { Type: string; Next?: string; Default?: string; Choices?: { Next?: string }[]; Catch?: { Next: string }[]; ItemProcessor?: Machine; Iterator?: Machine; Branches?: Machine[]; End?: boolean };
type Machine = { StartAt: string; States: Record<string, State> };

require(join(REPO_ROOT, 'local', 'console', 'ui', 'graph.js'));
const { aslGraph } = (globalThis as unknown as { AepGraph: { aslGraph(definition: unknown): Graph } }).AepGraph;
const definition = JSON.parse(readFileSync(join(REPO_ROOT, 'statemachines', 'deploy-async-endpoint.asl.json'), 'utf8')) as Machine;

function everyState(machine: Machine): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => {
    const inner = [state.ItemProcessor ?? state.Iterator, ...(state.Branches ?? [])].filter((m): m is Machine => m !== undefined);
    return [[name, state] as [string, State], ...inner.flatMap(everyState)];
  });
}

test('every state of the ASL file is a node of its type', () => {
  const graph = aslGraph(definition);
  const states = everyState(definition);
  expect(states.length).toBeGreaterThan(20);
  const nodes = new Map(graph.nodes.filter((n) => n.type !== 'Cluster').map((n) => [n.id, n.type]));
  expect(nodes).toEqual(new Map(states.map(([name, s]) => [name, s.Type])));
  expect(graph.startAt).toBe(definition.StartAt);
});

test('every transition of the ASL file is an edge; Catch edges are marked', () => {
  const graph = aslGraph(definition);
  const lastOfIterations = (state: State) =>
    [state.ItemProcessor ?? state.Iterator, ...(state.Branches ?? [])]
      .filter((m): m is Machine => m !== undefined)
      .flatMap((m) => Object.entries(m.States).filter(([, s]) => s.End || s.Type === 'Succeed').map(([n]) => n));
  const has = (from: string, to: string, catchEdge: boolean, sources: string[]) =>
    graph.edges.some((e) => e.to === to && (e.kind === 'catch') === catchEdge && (catchEdge ? e.from === from : sources.includes(e.from)));
  for (const [name, state] of everyState(definition)) {
    const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)].filter((t): t is string => !!t);
    // A Map's Next leaves from its iterations' last states; anyone else's from the state itself.
    const sources = lastOfIterations(state).length ? lastOfIterations(state) : [name];
    for (const to of targets) expect({ from: name, to, drawn: has(name, to, false, sources) }).toEqual({ from: name, to, drawn: true });
    for (const c of state.Catch ?? []) expect({ from: name, to: c.Next, drawn: has(name, c.Next, true, []) }).toEqual({ from: name, to: c.Next, drawn: true });
  }
});

test('a Map\'s iteration states sit in a box under the Map, entered from it', () => {
  const graph = aslGraph(definition);
  const maps = everyState(definition).filter(([, s]) => s.ItemProcessor ?? s.Iterator);
  expect(maps.length).toBeGreaterThan(0);
  for (const [name, state] of maps) {
    const processor = (state.ItemProcessor ?? state.Iterator)!;
    for (const inner of Object.keys(processor.States)) {
      expect(graph.nodes.find((n) => n.id === inner)?.parent).toBe(`cluster:${name}`);
    }
    expect(graph.edges).toContainEqual({ from: name, to: processor.StartAt, kind: 'iteration' });
  }
});

test('a made-up workflow: names, transitions and a Parallel come from the document, nothing else', () => {
  const graph = aslGraph({
    StartAt: 'A',
    States: {
      A: { Type: 'Choice', Choices: [{ Next: 'B' }, { Next: 'B' }], Default: 'P' },
      B: { Type: 'Pass', End: true },
      P: { Type: 'Parallel', Branches: [{ StartAt: 'X', States: { X: { Type: 'Succeed' } } }], Next: 'B', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'B' }] },
    },
  });
  expect(graph.nodes.map((n) => n.id)).toEqual(['A', 'B', 'cluster:P', 'P', 'X']);
  expect(graph.edges).toEqual([
    { from: 'A', to: 'B', kind: 'choice' },
    { from: 'A', to: 'P', kind: 'default' },
    { from: 'P', to: 'X', kind: 'iteration' },
    { from: 'X', to: 'B', kind: 'next' },
    { from: 'P', to: 'B', kind: 'catch', label: 'States.ALL' },
  ]);
});
