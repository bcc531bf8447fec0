import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalConfig } from '../local-config';
import { ContainerProcess, type ContainerLaunch } from './container-process';
import { HostingError } from './errors';
import { resolveImage } from './image-resolution';
import type { LocalAwsClients } from './local-aws-clients';
import { ModelArtifacts } from './model-artifacts';
import { TrafficSplit } from './traffic-split';

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

/** A running instance of an endpoint: the process, the variant it serves and the endpoint config it came from. */
export interface Instance {
  variantName: string;
  endpointConfigName: string;
  process: ContainerProcess;
}

/** An instance in a fleet: what it was started with, so it can be started again when its process dies. */
interface HostedInstance extends Instance {
  readonly launch: ContainerLaunch;
  /** Replacements since it last stayed healthy for STABLE_MS. */
  restarts: number;
  healthySince: number;
}

/** The instances one endpoint config runs on (a blue/green update runs two fleets side by side for a while). */
export interface Fleet {
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
 * An update with traffic shifting stages the new fleet next to the old one and moves a share of the requests to it
 * step by step (`startFleet`, `stage`, `shiftTraffic`, then `promoteStaged` or `discardStaged`).
 */
export class Hosting {
  private readonly fleets = new Map<string, Fleet>();
  /** The new fleet of a blue/green update while traffic shifts to it, and how requests are split. */
  private readonly incoming = new Map<string, { fleet: Fleet; split: TrafficSplit }>();
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
    const fleet = await this.startFleet(spec);
    const previous = this.fleets.get(spec.endpointName);
    this.fleets.set(spec.endpointName, fleet);
    for (const instance of fleet.instances) this.supervise(spec.endpointName, fleet, instance, Date.now());
    if (previous) await this.retire(previous);
  }

  /** Starts the spec's fleet and waits for every /ping, without sending it any traffic. Throws HostingError. */
  async startFleet(spec: DeploymentSpec): Promise<Fleet> {
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
          started.push(hosted(variant.variantName, spec.endpointConfigName, proc, instanceLaunch));
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
    return { endpointConfigName: spec.endpointConfigName, instances: started, nextIndex: 0 };
  }

  /** A started fleet stands next to the serving one, taking no traffic until `shiftTraffic`. */
  async stage(endpointName: string, fleet: Fleet): Promise<void> {
    if (this.closed) {
      await this.retire(fleet);
      throw new HostingError('The embedded AWS is shutting down.');
    }
    this.incoming.set(endpointName, { fleet, split: new TrafficSplit() });
    for (const instance of fleet.instances) this.supervise(endpointName, fleet, instance, Date.now());
  }

  /** The share (0..1) of new requests the staged fleet receives. */
  shiftTraffic(endpointName: string, share: number): void {
    this.incoming.get(endpointName)?.split.setShare(share);
  }

  /** The staged fleet becomes the serving one; the old fleet drains and stops. */
  async promoteStaged(endpointName: string): Promise<void> {
    const staged = this.incoming.get(endpointName);
    if (!staged) return;
    const previous = this.fleets.get(endpointName);
    this.fleets.set(endpointName, staged.fleet);
    this.incoming.delete(endpointName);
    if (previous) await this.retire(previous);
  }

  /** The staged fleet takes no more requests, drains and stops (a rolled-back update); the old fleet serves alone. */
  async discardStaged(endpointName: string): Promise<void> {
    const staged = this.incoming.get(endpointName);
    if (!staged) return;
    this.incoming.delete(endpointName);
    await this.retire(staged.fleet);
  }

  /** The instances of the staged fleet (empty when no update is shifting traffic). */
  stagedInstances(endpointName: string): readonly Instance[] {
    return this.incoming.get(endpointName)?.fleet.instances ?? [];
  }

  /** The live instances of the fleet the next request goes to, by the traffic split; `routed` counts it once sent. */
  route(endpointName: string): readonly Instance[] {
    return this.routedFleet(endpointName)?.instances.filter((i) => i.process.running) ?? [];
  }

  /** A request was sent to this instance: the traffic split counts it for its fleet. */
  routed(endpointName: string, instance: Instance): void {
    const staged = this.incoming.get(endpointName);
    staged?.split.record((staged.fleet.instances as Instance[]).includes(instance) ? 'new' : 'old');
  }

  private routedFleet(endpointName: string): Fleet | undefined {
    const staged = this.incoming.get(endpointName);
    return staged?.split.peek() === 'new' ? staged.fleet : this.fleets.get(endpointName);
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
          const instance = hosted(variant.variantName, spec.endpointConfigName, await ContainerProcess.start(instanceLaunch), instanceLaunch);
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
      const attempt: Instance = { variantName: instance.variantName, endpointConfigName: instance.endpointConfigName, process: await ContainerProcess.start(instance.launch) };
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
    const hostedHere = this.fleets.get(endpointName) === fleet || this.incoming.get(endpointName)?.fleet === fleet;
    return !this.closed && hostedHere && fleet.instances.includes(instance);
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

  /** For real-time invocations: the fleet by the traffic split, round-robin over its live instances. */
  nextInstance(endpointName: string): Instance | undefined {
    const fleet = this.routedFleet(endpointName);
    const live = fleet?.instances.filter((i) => i.process.running) ?? [];
    if (!fleet || live.length === 0) return undefined;
    const instance = live[fleet.nextIndex++ % live.length];
    this.routed(endpointName, instance);
    return instance;
  }

  async stop(endpointName: string): Promise<void> {
    const fleets = [this.fleets.get(endpointName), this.incoming.get(endpointName)?.fleet];
    this.fleets.delete(endpointName);
    this.incoming.delete(endpointName);
    await Promise.all(fleets.flatMap((f) => f?.instances ?? []).map((i) => i.process.stop()));
  }

  /** Stops every process, including ones still starting. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.fleets.values(), ...[...this.incoming.values()].map((s) => s.fleet)].flatMap((f) => f.instances.map((i) => i.process));
    this.fleets.clear();
    this.incoming.clear();
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

function hosted(variantName: string, endpointConfigName: string, process: ContainerProcess, launch: ContainerLaunch): HostedInstance {
  return { variantName, endpointConfigName, process, launch, restarts: 0, healthySince: Date.now() };
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
