import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyAssignment, buildExecutionInput, parseAssignment } from '../../cli/execution-input';
import { UsageError } from '../../cli/cli-errors';

const MODEL = 's3://aep-models/models/recommender/model.tar.gz';

describe('--set parsing', () => {
  it.each([
    ['instanceCount=2', ['instanceCount'], 2],
    ['onFailure=keep', ['onFailure'], 'keep'],
    ['image=local/recommender:latest', ['image'], 'local/recommender:latest'],
    ['environment.MODEL_VERSION="007"', ['environment', 'MODEL_VERSION'], '007'],
    ['async.invocationTimeoutSeconds=60', ['async', 'invocationTimeoutSeconds'], 60],
    ['smokeTests[0].compare.k=3', ['smokeTests', 0, 'compare', 'k'], 3],
    ['smokeTests.1.name=a', ['smokeTests', 1, 'name'], 'a'],
    ['environment={"A":"1"}', ['environment'], { A: '1' }],
    ['x=a=b', ['x'], 'a=b'],
  ])('%s', (text, path, value) => {
    expect(parseAssignment(text)).toEqual({ path, value });
  });

  it.each(['noequals', '=5', 'a..b=1', '__proto__.polluted=1', 'constructor.prototype=1'])('rejects %s', (text) => {
    expect(() => parseAssignment(text)).toThrow(UsageError);
  });

  it('creates arrays for numeric segments and objects otherwise, keeping what is there', () => {
    const target: Record<string, unknown> = { environment: { A: '1' } };
    applyAssignment(target, parseAssignment('environment.B=2'));
    applyAssignment(target, parseAssignment('smokeTests[0].name=shoes'));
    expect(target).toEqual({ environment: { A: '1', B: 2 }, smokeTests: [{ name: 'shoes' }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('buildExecutionInput', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aep-input-'));
  const file = join(dir, 'deploy.json');
  writeFileSync(file, JSON.stringify({ instanceCount: 1, endpointName: 'from-file', environment: { A: 'file' } }));

  it('layers the file, then --set, then the flags', () => {
    const input = buildExecutionInput({ inputFile: file, sets: ['instanceCount=3', 'environment.B=set', 'endpointName=from-set'], modelUri: MODEL, endpointName: 'from-flag' });
    expect(input).toEqual({ modelDataUrl: MODEL, instanceCount: 3, endpointName: 'from-flag', environment: { A: 'file', B: 'set' } });
  });

  const failure = (fn: () => unknown): UsageError => {
    try {
      fn();
    } catch (error) {
      return error as UsageError;
    }
    throw new Error('expected a UsageError');
  };

  it('names every offending field, with exit code 2', () => {
    const error = failure(() => buildExecutionInput({ modelUri: MODEL, sets: ['instanceCount=0', 'smokeTests[0].compare.k=0', 'instancetype=ml.m5.large'] }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('instanceCount:');
    expect(error.message).toContain('smokeTests[0].compare');
    expect(error.message).toMatch(/instancetype/);
  });

  it('refuses a mistyped instance type before anything starts, naming the nearest valid one', () => {
    const error = failure(() => buildExecutionInput({ modelUri: MODEL, sets: ['instanceType=ml.g5.xlarg'] }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("instanceType: 'ml.g5.xlarg' is not a SageMaker hosting instance type (did you mean ml.g5.xlarge?)");
  });

  it('asks for --model-uri when there is no artifact', () => {
    const error = failure(() => buildExecutionInput({}));
    expect(error.message).toContain('modelDataUrl');
    expect(error.hint).toContain('--model-uri');
  });

  it('reports a file that is not JSON, or not an object', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"instanceCount": ');
    expect(failure(() => buildExecutionInput({ inputFile: broken, modelUri: MODEL })).message).toMatch(/broken\.json is not valid JSON/);
    writeFileSync(broken, '[1]');
    expect(failure(() => buildExecutionInput({ inputFile: broken, modelUri: MODEL })).message).toMatch(/must hold a JSON object/);
    expect(failure(() => buildExecutionInput({ inputFile: join(dir, 'missing.json'), modelUri: MODEL })).message).toMatch(/Cannot read --input/);
  });
});
