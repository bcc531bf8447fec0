import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalConfig } from '../local-config';
import { ContainerProcess, type ContainerLaunch } from './container-process';
import { HostingError } from './errors';
import { resolveImage } from './image-resolution';
import type { LocalAwsClients } from './local-aws-clients';
import { ModelArtifacts } from './model-artifacts';

/** Starts of one instance when its port is taken under it (see waitHealthy). */
export const PORT_ATTEMPTS = 3;

/** One production variant to host: its model (image, data, environment) and how many instances. */
export interface VariantSpec {
  variantName: string;
  modelName: string;
  image: string;
  modelDataUrl?: string;
  /** The model's execution role: the container calls AWS with its credentials, as in SageMaker. */
  executionRoleArn?: string;
  environment: Record<string, string>;
  instanceType: string;
  instanceCount: number;
}

export interface DeploymentSpec {
  endpointName: string;
  endpointConfigName: string;
  variants: VariantSpec[];
}

/** A running instance of an endpoint: the process and the variant it serves. */
export interface Instance {
  variantName: string;
  process: ContainerProcess;
}

/** An instance in a fleet: what it was started with, so it can be started again when its process dies. */
interface HostedInstance extends Instance {
  readonly launch: ContainerLaunch;
  /** Replacements since it last stayed healthy for STABLE_MS. */
  restarts: number;
  healthySince: number;
}

interface Fleet {
  endpointConfigName: string;
  instances: HostedInstance[];
  nextIndex: number;
}

/** An instance that served this long before it died is replaced with a fresh restart budget. */
const STABLE_MS = 10 * 60_000;
/** The backoff between replacements doubles up to this. */
const MAX_BACKOFF_MS = 60_000;

export interface HostingOptions {
  dataDir: string;
  config: LocalConfig;
  aws: LocalAwsClients;
  /** AWS_REGION, AWS_ENDPOINT_URL and the execution role's credentials for a container. */
  awsEnvironment?: (executionRoleArn: string | undefined) => Record<string, string>;
  /** The embedded AWS's own log (an instance replaced); the endpoint's container log gets the same line. */
  log?: (line: string) => void;
}

/**
 * Runs endpoints' model servers as local processes. A deployment starts a whole new fleet and only swaps it in
 * once every instance is healthy (blue/green, as SageMaker updates endpoints); a failed deployment leaves the
 * current fleet serving untouched. An instance whose process dies is replaced, as SageMaker replaces a failed
 * instance: started again with backoff and health-checked by /ping before it serves, within a bound of restarts.
 */
export class Hosting {
  private readonly fleets = new Map<string, Fleet>();
  private readonly starting = new Set<ContainerProcess>();
  private readonly artifacts: ModelArtifacts;
  private closed = false;

  constructor(private readonly options: HostingOptions) {
    const { maxModelBytes: maxBytes, maxModelEntries: maxEntries } = options.config.hosting;
    this.artifacts = new ModelArtifacts(join(options.dataDir, 'hosting', 'models'), options.aws, { maxBytes, maxEntries });
  }

  /** DeleteModel: the model's extracted artifact is no longer needed. */
  removeModelFiles(modelName: string): Promise<void> {
    return this.artifacts.remove(modelName);
  }

  /** Starts the spec's fleet, waits for every /ping, swaps it in and stops the previous one. Throws HostingError. */
  async deploy(spec: DeploymentSpec): Promise<void> {
    const started: HostedInstance[] = [];
    try {
      for (const variant of spec.variants) {
        const launch = await this.launchFor(spec, variant);
        for (let i = 0; i < variant.instanceCount; i++) {
          if (this.closed) throw new HostingError('The embedded AWS is shutting down.');
          const instanceLaunch = {
            ...launch,
            logFile: join(this.options.dataDir, 'hosting', 'logs', spec.endpointName, `${variant.variantName}-${spec.endpointConfigName}-${i + 1}.log`),
          };
          const proc = await ContainerProcess.start(instanceLaunch);
          this.starting.add(proc);
          started.push(hosted(variant.variantName, proc, instanceLaunch));
        }
      }
      const timeoutMs = this.options.config.hosting.healthCheckTimeoutSeconds * 1000;
      await Promise.all(started.map((instance) => this.waitHealthy(instance, instance.launch, timeoutMs)));
      if (this.closed) throw new HostingError('The embedded AWS is shutting down.');
    } catch (error) {
      await Promise.all(started.map((instance) => instance.process.stop()));
      throw error instanceof HostingError ? error : new HostingError(String((error as Error)?.message ?? error));
    } finally {
      for (const instance of started) this.starting.delete(instance.process);
    }
    const previous = this.fleets.get(spec.endpointName);
    const fleet: Fleet = { endpointConfigName: spec.endpointConfigName, instances: started, nextIndex: 0 };
    this.fleets.set(spec.endpointName, fleet);
    for (const instance of started) this.supervise(spec.endpointName, fleet, instance, Date.now());
    if (previous) await this.retire(previous);
  }

  /**
   * Waits for an instance's /ping; when its process lost the race for its port (EADDRINUSE: another process bound it
   * after freeLoopbackPort released it), starts it again on a fresh port, up to PORT_ATTEMPTS times in all.
   */
  private async waitHealthy(instance: Instance, launch: ContainerLaunch, timeoutMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await instance.process.waitHealthy(timeoutMs);
      } catch (error) {
        if (this.closed || !instance.process.lostPortRace) throw error;
        if (attempt >= PORT_ATTEMPTS) {
          throw new HostingError(
            `Another process took the container's port (EADDRINUSE) on each of ${PORT_ATTEMPTS} starts on fresh ports; ` +
              `something on this machine is grabbing ephemeral loopback ports. ${(error as Error).message}`,
          );
        }
        this.starting.delete(instance.process);
        instance.process = await ContainerProcess.start(launch);
        this.starting.add(instance.process);
      }
    }
  }

  /**
   * Sets how many instances of one variant serve (UpdateEndpointWeightsAndCapacities, autoscaling): new instances are
   * healthy before they join; surplus ones leave the fleet at once (no new work) and stop once their requests drained.
   * 0 leaves the variant with no process at all. Throws HostingError when an instance does not become healthy.
   */
  async resize(spec: DeploymentSpec, variant: VariantSpec): Promise<void> {
    const fleet = this.fleets.get(spec.endpointName);
    if (!fleet) throw new HostingError(`Endpoint ${spec.endpointName} is not hosted.`);
    const mine = fleet.instances.filter((i) => i.variantName === variant.variantName);
    if (mine.length > variant.instanceCount) {
      const surplus = mine.slice(variant.instanceCount);
      fleet.instances = fleet.instances.filter((i) => !surplus.includes(i));
      await this.retire({ ...fleet, instances: surplus });
      return;
    }
    const launch = await this.launchFor(spec, variant);
    const added: HostedInstance[] = [];
    try {
      const timeoutMs = this.options.config.hosting.healthCheckTimeoutSeconds * 1000;
      // allSettled: every start has finished (and is in `added`) before a failure stops them all.
      const starts = await Promise.allSettled(
        Array.from({ length: variant.instanceCount - mine.length }, async (_, i) => {
          const instanceLaunch = { ...launch, logFile: join(this.options.dataDir, 'hosting', 'logs', spec.endpointName, `${variant.variantName}-${spec.endpointConfigName}-${mine.length + i + 1}.log`) };
          const instance = hosted(variant.variantName, await ContainerProcess.start(instanceLaunch), instanceLaunch);
          this.starting.add(instance.process);
          added.push(instance);
          await this.waitHealthy(instance, instanceLaunch, timeoutMs);
        }),
      );
      const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      if (this.closed || this.fleets.get(spec.endpointName) !== fleet) throw new HostingError('The endpoint was redeployed or stopped while it scaled.');
    } catch (error) {
      await Promise.all(added.map((instance) => instance.process.stop()));
      throw error instanceof HostingError ? error : new HostingError(String((error as Error)?.message ?? error));
    } finally {
      for (const instance of added) this.starting.delete(instance.process);
    }
    fleet.instances.push(...added);
    for (const instance of added) this.supervise(spec.endpointName, fleet, instance, Date.now());
  }

  /** Replaces the instance's process when it exits without being stopped, for as long as the instance is in its fleet. */
  private supervise(endpointName: string, fleet: Fleet, instance: HostedInstance, healthySince: number): void {
    const proc = instance.process;
    instance.healthySince = healthySince;
    void proc.exited.then(async (status) => {
      if (proc.stopRequested || !this.serves(endpointName, fleet, instance)) return;
      if (Date.now() - instance.healthySince >= STABLE_MS) instance.restarts = 0;
      this.note(instance, `The instance's model server (pid ${proc.pid}) exited with ${describeExit(status.code)}; replacing the instance.`);
      await this.replace(endpointName, fleet, instance);
    });
  }

  /**
   * Starts the instance again after a backoff (restartBackoffSeconds, doubling) until one start passes /ping within
   * the health-check timeout, as at creation; gives up after maxRestarts, leaving the instance down.
   */
  private async replace(endpointName: string, fleet: Fleet, instance: HostedInstance): Promise<void> {
    const { maxRestarts, restartBackoffSeconds, healthCheckTimeoutSeconds } = this.options.config.hosting;
    while (instance.restarts < maxRestarts) {
      instance.restarts++;
      const backoffMs = Math.min(restartBackoffSeconds * 1000 * 2 ** (instance.restarts - 1), MAX_BACKOFF_MS);
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
      if (!this.serves(endpointName, fleet, instance)) return;
      const attempt: Instance = { variantName: instance.variantName, process: await ContainerProcess.start(instance.launch) };
      this.starting.add(attempt.process);
      try {
        await this.waitHealthy(attempt, instance.launch, healthCheckTimeoutSeconds * 1000);
      } catch (error) {
        await attempt.process.stop();
        if (!this.serves(endpointName, fleet, instance)) return;
        this.note(instance, `Restart ${instance.restarts} of at most ${maxRestarts} failed: ${(error as Error).message}`);
        continue;
      } finally {
        this.starting.delete(attempt.process);
      }
      if (!this.serves(endpointName, fleet, instance)) {
        await attempt.process.stop();
        return;
      }
      instance.process = attempt.process;
      this.note(instance, `Replaced: restart ${instance.restarts} of at most ${maxRestarts} passed the ping health check (pid ${attempt.process.pid}, port ${attempt.process.port}).`);
      this.supervise(endpointName, fleet, instance, Date.now());
      return;
    }
    this.note(
      instance,
      `Not restarted again: ${maxRestarts} restarts without staying up (hosting.maxRestarts). The instance stays down; ` +
        `fix the model and UpdateEndpoint, or delete and re-create the endpoint.`,
    );
  }

  private serves(endpointName: string, fleet: Fleet, instance: HostedInstance): boolean {
    return !this.closed && this.fleets.get(endpointName) === fleet && fleet.instances.includes(instance);
  }

  /** A line in the instance's container log (the endpoint's log stream) and in the embedded AWS's log. */
  private note(instance: HostedInstance, message: string): void {
    const line = `[aep hosting] ${new Date().toISOString()} ${message}`;
    try {
      appendFileSync(instance.launch.logFile, `${line}\n`);
    } catch {
      // The log is for the reader; a full disk must not stop the replacement.
    }
    this.options.log?.(`${instance.launch.logFile}: ${message}`);
  }

  /** The instances serving an endpoint now (empty when it has none). */
  instances(endpointName: string): readonly Instance[] {
    return this.fleets.get(endpointName)?.instances ?? [];
  }

  /** Round-robin over the live instances, for real-time invocations. */
  nextInstance(endpointName: string): Instance | undefined {
    const fleet = this.fleets.get(endpointName);
    const live = fleet?.instances.filter((i) => i.process.running) ?? [];
    if (!fleet || live.length === 0) return undefined;
    return live[fleet.nextIndex++ % live.length];
  }

  async stop(endpointName: string): Promise<void> {
    const fleet = this.fleets.get(endpointName);
    this.fleets.delete(endpointName);
    if (fleet) await Promise.all(fleet.instances.map((i) => i.process.stop()));
  }

  /** Stops every process, including ones still starting. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.fleets.values()].flatMap((f) => f.instances.map((i) => i.process));
    this.fleets.clear();
    await Promise.all([...all, ...this.starting].map((p) => p.stop()));
  }

  private async launchFor(spec: DeploymentSpec, variant: VariantSpec) {
    const { config } = this.options;
    const image = resolveImage(config, variant.image, variant.modelName);
    const modelDir = await this.artifacts.directory(variant.modelName, variant.modelDataUrl);
    return {
      command: image.command,
      cwd: config.baseDir,
      env: {
        ...inheritedEnv(),
        ...this.options.awsEnvironment?.(variant.executionRoleArn),
        ...image.env,
        ...variant.environment,
        SM_MODEL_DIR: modelDir,
        AEP_ENDPOINT_NAME: spec.endpointName,
        AEP_VARIANT_NAME: variant.variantName,
      },
      stopGraceMs: config.hosting.stopGraceSeconds * 1000,
    };
  }

  private async retire(fleet: Fleet): Promise<void> {
    // Let requests already on the old fleet finish (bounded by the stop grace), as SageMaker drains old instances.
    const deadline = Date.now() + this.options.config.hosting.stopGraceSeconds * 1000;
    while (Date.now() < deadline && fleet.instances.some((i) => i.process.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(fleet.instances.map((i) => i.process.stop()));
  }
}

function hosted(variantName: string, process: ContainerProcess, launch: ContainerLaunch): HostedInstance {
  return { variantName, process, launch, restarts: 0, healthySince: Date.now() };
}

function describeExit(code: number | string): string {
  return typeof code === 'number' ? `code ${code}` : `signal ${code}`;
}

/** A container gets a clean environment, as in SageMaker: PATH and locale only, none of the server's secrets. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
