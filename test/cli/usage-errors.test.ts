import { main } from '../../cli/main';

/** Runs the CLI in-process and captures what it writes; usage errors never reach the network. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(['node', 'aep', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const MODEL = 's3://aep-models/models/recommender/model.tar.gz';
// An address nothing listens on: if a usage check were skipped, the test would fail with exit 3 instead of 2.
const NOWHERE = ['--endpoint-url', 'http://127.0.0.1:9'];

describe('argument errors exit 2 and say what is wrong', () => {
  it.each([
    [['deploy', '--model-uri', MODEL, '--set', 'instanceCount=0', ...NOWHERE], /instanceCount: too small/],
    [['deploy', '--model-uri', 'http://not-s3', ...NOWHERE], /modelDataUrl: must be an S3 URI/],
    [['deploy', '--model-uri', MODEL, '--set', 'smokeTests[0].compare.mode=fuzzy', ...NOWHERE], /smokeTests\[0\]/],
    [['deploy', '--model-uri', MODEL, '--endpoint-name', 'bad_name!', ...NOWHERE], /endpointName: must be letters, digits and hyphens/],
    [['deploy', '--model-uri', MODEL, '--set', 'instancecount=2', ...NOWHERE], /instancecount/],
    [['deploy', '--model-uri', MODEL, '--set', 'novalue', ...NOWHERE], /--set expects key=value/],
    [['deploy', '--model-uri', MODEL, '--junit', 'r.xml', ...NOWHERE], /--junit needs --wait/],
    [['deploy', '--model-uri', MODEL, '--wait', '--timeout', 'soon', ...NOWHERE], /--timeout must be a whole number/],
    [['deploy', '--model-uri', MODEL, '--name', 'has space', ...NOWHERE], /is not a valid execution name/],
    [['deploy', '--model-uri', MODEL, '--endpoint-url', 'not a url'], /--endpoint-url must be a URL/],
    [['deploy', '--model-uri', MODEL, '--local', ...NOWHERE], /cannot be used with option '--endpoint-url/],
    [['deploy', '--bogus'], /unknown option '--bogus'/],
    [['invoke', '--input', 'x.json', ...NOWHERE], /required option '--endpoint-name/],
    [['invoke', '--endpoint-name', 'e', '--input', '/no/such/file.json', ...NOWHERE], /neither a readable file nor an s3:\/\/ URI/],
    [['invoke', '--endpoint-name', 'e', '--input', 's3://b/k', '--display-results', ...NOWHERE], /--display-results needs --wait/],
    [['history', ...NOWHERE], /required option '--endpoint-name/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('aep %j', async (args, message) => {
    const { code, stderr } = await run(...args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

  it('with --json, still one JSON document on stdout: the error', async () => {
    const { code, stdout } = await run('deploy', '--model-uri', MODEL, '--set', 'instanceCount=0', '--json', ...NOWHERE);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ exitCode: 2, error: { name: 'UsageError', message: expect.stringContaining('instanceCount') } });
  });

  it('--help exits 0 and shows examples', async () => {
    const { code, stdout } = await run('deploy', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('aep deploy --model-uri');
  });
});
