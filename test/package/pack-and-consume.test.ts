import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../helpers/embedded';
import { consumerLockfile, type PackedPackage } from './consumer-lockfile';

/**
 * aep as other CDK apps use it: `npm pack` (which builds dist/ through prepack), the tarball installed offline into
 * a copy of examples/cdk-app in a temporary folder, the app type-checked against the installed declarations,
 * synthesized with its own props and cdk-nag's AWS Solutions checks, and the installed `aep` command run (its demo too).
 */
const EXAMPLE_APP = join(REPO_ROOT, 'examples', 'cdk-app');
const STACK = 'RecommenderPipeline';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

function succeeded(step: string, result: Run): Run {
  if (result.status !== 0) throw new Error(`${step} exited ${result.status}:\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-2000)}`);
  return result;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

let work: string;
let app: string;
let packedFiles: string[];
let synth: Run;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'aep-package-'));
  app = join(work, 'my-cdk-app');
  cpSync(EXAMPLE_APP, app, { recursive: true, filter: (f) => !['node_modules', 'cdk.out', 'build'].includes(basename(f)) });

  // npm prints the prepack build's output before the JSON report; the report is the last top-level array.
  const pack = succeeded('npm pack', run('npm', ['pack', '--json', '--pack-destination', app], REPO_ROOT)).stdout;
  const [report] = JSON.parse(pack.slice(pack.lastIndexOf('\n[') + 1)) as Array<{ filename: string; integrity: string; files: Array<{ path: string }> }>;
  packedFiles = report.files.map((f) => f.path);
  const packed: PackedPackage = { filename: report.filename, integrity: report.integrity, manifest: JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) };

  // The example as published depends on aep from the registry; here on the tarball just packed. Its devDependencies
  // (the CDK CLI, tsx) are not needed: the repository's TypeScript compiles the app and node runs it.
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  manifest.dependencies.aep = `file:${packed.filename}`;
  delete manifest.devDependencies;
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLockfile(REPO_ROOT, manifest, packed), null, 2));
  succeeded('npm ci --offline', run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app));

  succeeded('tsc (the app against the installed declarations)', run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], app));
  synth = run(process.execPath, [join('build', 'app.js')], app, { CDK_OUTDIR: join(app, 'cdk.out') });
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the aep package', () => {
  it('ships compiled JavaScript, type declarations, the ASL file and pre-bundled steps, and no TypeScript sources', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'cli/bin.cjs',
        'dist/infra/index.js',
        'dist/infra/index.d.ts',
        'dist/cli/main.js',
        'dist/statemachines/deploy-async-endpoint.asl.json',
        'dist/lambda/validate-input/index.js',
        'dist/local/console/ui/index.html',
      ]),
    );
    expect(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('functions/'))).toEqual([]);
  });

  it("installs without tsx or esbuild: neither is a dependency of the package", () => {
    expect(existsSync(join(app, 'node_modules', 'aep', 'package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'esbuild'))).toBe(false);
  });

  it("synthesizes the construct in the app's own stack, with the app's props and no cdk-nag finding", () => {
    expect({ status: synth.status, stderr: synth.stderr }).toEqual({ status: 0, stderr: expect.not.stringContaining('AwsSolutions-') });
    const template = JSON.parse(readFileSync(join(app, 'cdk.out', `${STACK}.template.json`), 'utf8')) as Template;
    const resources = Object.values(template.Resources);
    const stateMachine = resources.find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    expect(stateMachine.Properties.StateMachineName).toBe('recs-pipeline');

    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && /^aep /.test(r.Properties.Description ?? ''));
    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Handler: 'index.handler',
        Runtime: 'nodejs22.x',
        Environment: { Variables: { NAME_PREFIX: 'recs-', PIPELINE_ID: 'recs-pipeline', POWERTOOLS_LOG_LEVEL: 'DEBUG' } },
      });
      const defaults = JSON.parse(fn.Properties.Environment.Variables.DEPLOYMENT_DEFAULTS);
      expect(defaults).toMatchObject({ instanceType: 'ml.c5.xlarge', instanceCount: 2, retainPrevious: 3 });
    }
    const logGroups = resources.filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(new Set(logGroups.map((r) => r.Properties.RetentionInDays))).toEqual(new Set([30]));
  });

  it("deploys the package's pre-bundled code as each function's asset", () => {
    const assets = readdirSync(join(app, 'cdk.out')).filter((f) => f.startsWith('asset.'));
    const bundles = assets.filter((a) => existsSync(join(app, 'cdk.out', a, 'index.js')));
    expect(bundles).toHaveLength(14);
    const installed = readFileSync(join(app, 'node_modules', 'aep', 'dist', 'lambda', 'validate-input', 'index.js'), 'utf8');
    expect(bundles.map((a) => readFileSync(join(app, 'cdk.out', a, 'index.js'), 'utf8'))).toContain(installed);
  });

  it('installs the aep command, which runs the compiled CLI', () => {
    const bin = join(app, 'node_modules', '.bin', 'aep');
    const help = run(bin, ['--help'], app);
    expect(help).toMatchObject({ status: 0, stdout: expect.stringContaining('Usage: aep') });
    expect(help.stdout).toMatch(/deploy/);
    const version = run(bin, ['--version'], app);
    expect(version).toMatchObject({ status: 0, stdout: `${JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version}\n` });
  });

  it('runs the demo on the embedded AWS from the installed package: every file the compiled code reads is shipped', () => {
    const demo = run(join(app, 'node_modules', '.bin', 'aep'), ['demo'], app);
    expect({ status: demo.status, stderr: demo.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(demo.stdout).toContain('All as expected');
  }, 600_000);
});
