import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  UpdateEndpointCommand,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { PREVIOUS_CONFIG_TAG } from '../deploy-endpoint/deploy-endpoint';
import { describeCaught } from '../lib/caught-error';
import { sagemaker } from '../lib/clients';
import { describeError, isSageMakerNotFound, isTransientAwsError, RollbackFailed } from '../lib/errors';
import type { PipelineState, RollbackState, ScaledToZero } from '../lib/pipeline-state';
import { nextPollSeconds } from '../lib/poll-schedule';
import { SCALABLE_DIMENSION, scalableResourceId } from '../lib/autoscaling-names';
import { fromZeroTag, raisedFromZero, resumeScaleIn, SCALED_TO_ZERO_TAG, scaleBackToZero, variantsAboveZero } from '../lib/scaled-to-zero';
import {

  describeEndpointConfigOrUndefined,
  describeEndpointOrUndefined,
  describeModelOrUndefined,
  isCreatedBy,
  resourceTags,
} from '../lib/sagemaker-resources';

/** The restore of a previous config is still polled (no callback there): at most this interval, whatever poll.endpointSeconds. */
const ROLLBACK_POLL_SECONDS = 30;

/**
 * Rollback, one pass per call of the RollbackComplete? loop. Each pass looks at what exists now and takes the next
 * step, so a retried or redriven pass carries on where the last one stopped:
 * - an endpoint this run created is deleted (after Creating), then this run's config and model: a failed first
 *   deployment leaves nothing behind;
 * - an endpoint that existed before is never deleted: if it serves (or is moving to) this run's config it is put
 *   back on the previous one, and this run's config and model are deleted once it serves that again;
 * - onFailure "keep" keeps what this run created for debugging, but still restores a serving endpoint.
 * Only resources tagged with this execution are deleted. Bounded by timeouts.endpointSeconds.
 */
export interface RollbackProgress extends RollbackState {
  startedAt: string;
  polls: number;
  /** UpdateEndpoint back to the previous config was accepted. */
  restoreRequested?: boolean;
}

/** Endpoint statuses that end by themselves; SageMaker refuses updates and deletes meanwhile. */
const IN_TRANSITION = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

export async function rollbackStep(state: PipelineState, now: Date): Promise<RollbackProgress> {
  const prior = state.rollback as Partial<RollbackProgress> | undefined;
  const pass = new Pass(state, prior, now);
  pass.checkDeadline();

  // The candidate first: it is this run's own endpoint, removed passed or failed (kept under onFailure keep).
  const candidateName = state.deployment?.candidateEndpointName;
  const candidate = candidateName ? await describeEndpointOrUndefined(candidateName) : undefined;
  if (candidate) {
    const tags = await tagsUnlessGone(candidate.EndpointArn);
    if (tags && isCreatedBy(tags, state.execution.id) && !(await pass.removeEndpoint(candidate, 'candidate endpoint'))) {
      return pass.waiting(candidate);
    }
  }

  const endpoint = await describeEndpointOrUndefined(state.names.endpoint);
  if (endpoint) {
    const tags = await tagsUnlessGone(endpoint.EndpointArn);
    // Gone between the describe and the tag lookup (our own delete finishing): nothing left to wait for.
    if (tags) {
      const createdByUs = state.deployment?.action !== 'update' && isCreatedBy(tags, state.execution.id);
      const done = createdByUs
        ? await pass.removeEndpoint(endpoint, 'endpoint')
        : (await pass.backToZero(endpoint)) && (await pass.restoreEndpoint(endpoint));
      if (!done) return pass.waiting(endpoint);
    }
  }
  await pass.removeOwn('endpoint config', state.names.endpointConfig);
  await pass.removeOwn('model', state.names.model);
  await pass.resumeScaleIn();
  return pass.completed();
}

async function tagsUnlessGone(arn: string | undefined): Promise<Record<string, string> | undefined> {
  if (!arn) return {};
  try {
    return await resourceTags(arn);
  } catch (error) {
    if (isSageMakerNotFound(error)) return undefined;
    throw error;
  }
}

/** One rollback pass: its accumulated words (actions, kept) and the decisions that need the state. */
class Pass {
  private readonly actions: string[];
  private readonly kept: string[];
  private readonly startedAt: string;
  private readonly polls: number;
  private restoreRequested: boolean;
  private readonly keep: boolean;

  constructor(
    private readonly state: PipelineState,
    prior: Partial<RollbackProgress> | undefined,
    private readonly now: Date,
  ) {
    this.actions = [...(prior?.actions ?? [])];
    this.kept = [...(prior?.kept ?? [])];
    this.startedAt = prior?.startedAt ?? now.toISOString();
    this.polls = (prior?.polls ?? 0) + 1;
    this.restoreRequested = prior?.restoreRequested ?? false;
    this.keep = state.config.onFailure === 'keep';
  }

  checkDeadline(): void {
    const limit = this.state.config.timeouts.endpointSeconds;
    const elapsed = (this.now.getTime() - Date.parse(this.startedAt)) / 1000;
    if (elapsed <= limit) return;
    const endpoint = this.state.names.endpoint;
    throw this.failed(
      `finish within timeouts.endpointSeconds (${limit} s); done so far: ${this.actions.join('; ') || 'nothing'}`,
      `check endpoint ${endpoint} in the SageMaker console; ${this.byHandCommand()}`,
    );
  }

  /** An endpoint this run created (or its candidate): deleted, unless onFailure is keep. True when nothing is left to wait for. */
  async removeEndpoint(endpoint: DescribeEndpointCommandOutput, what: 'endpoint' | 'candidate endpoint'): Promise<boolean> {
    const name = endpoint.EndpointName ?? this.state.names.endpoint;
    if (this.keep) {
      this.addKept(`${what} ${name}`);
      return true;
    }
    if (IN_TRANSITION.has(endpoint.EndpointStatus ?? '')) return false;
    try {
      await sagemaker().send(new DeleteEndpointCommand({ EndpointName: name }));
    } catch (error) {
      if (isSageMakerNotFound(error)) return true;
      if (isTransientAwsError(error)) throw error;
      throw this.failed(`delete endpoint ${name} (${describeError(error)})`, `aws sagemaker delete-endpoint --endpoint-name ${name}`);
    }
    this.addAction(`deleted ${what} ${name}`);
    return false; // its config can be deleted once the endpoint is gone
  }

  /** An endpoint that existed before this run: never deleted, put back on its previous config. */
  async restoreEndpoint(endpoint: DescribeEndpointCommandOutput): Promise<boolean> {
    const name = this.state.names.endpoint;
    const own = this.state.names.endpointConfig;
    const status = endpoint.EndpointStatus ?? 'unknown';
    if (IN_TRANSITION.has(status)) return false;

    const current = endpoint.EndpointConfigName;
    if (current !== own) {
      const previous = this.state.deployment?.previousConfigName;
      if (this.restoreRequested) this.addAction(`restored endpoint ${name} to config ${current}`);
      else if (current === previous) this.addAction(`endpoint ${name} still serves its previous config ${current}`);
      else this.addAction(`endpoint ${name} serves config ${current}, not this run's; left as is`);
      return true;
    }

    const previous = await this.previousConfigName();
    if (!previous) {
      throw this.failed(
        `restore endpoint ${name}: it serves this run's config ${own} and no previous config is recorded`,
        `aws sagemaker update-endpoint --endpoint-name ${name} --endpoint-config-name <a known-good config>`,
      );
    }
    if (this.restoreRequested) {
      // SageMaker accepted our UpdateEndpoint, and the endpoint is back on this run's config: the restore failed
      throw this.failed(
        `restore endpoint ${name} to config ${previous}: the update ended ${status} on ${own}` +
          (endpoint.FailureReason ? ` (FailureReason: ${endpoint.FailureReason})` : ''),
        `aws sagemaker update-endpoint --endpoint-name ${name} --endpoint-config-name ${previous}`,
      );
    }
    try {
      // the instance count autoscaling has set is kept on the way back too
      await sagemaker().send(
        new UpdateEndpointCommand({ EndpointName: name, EndpointConfigName: previous, RetainAllVariantProperties: true }),
      );
    } catch (error) {
      if (isTransientAwsError(error)) throw error;
      throw this.failed(
        `restore endpoint ${name} (${status}) to config ${previous} (${describeError(error)})`,
        `aws sagemaker update-endpoint --endpoint-name ${name} --endpoint-config-name ${previous}`,
      );
    }
    this.restoreRequested = true;
    this.addAction(`restoring endpoint ${name} to config ${previous}`);
    return false;
  }

  /**
   * In-place at 0 instances: the instances this run raised for the smoke tests go back to 0 first, so the previous
   * config is restored at 0 (RetainAllVariantProperties) without starting an instance of it. True when nothing is
   * left to wait for.
   */
  async backToZero(endpoint: DescribeEndpointCommandOutput): Promise<boolean> {
    if (variantsAboveZero(endpoint).length === 0 || !(await this.raisedFromZero())) return true;
    if (IN_TRANSITION.has(endpoint.EndpointStatus ?? '')) return false;
    const name = this.state.names.endpoint;
    try {
      const scaled = await scaleBackToZero(endpoint);
      if (scaled) this.addAction(scaled);
    } catch (error) {
      if (isTransientAwsError(error)) throw error;
      throw this.failed(
        `set endpoint ${name} back to 0 instances (${describeError(error)})`,
        `aws sagemaker update-endpoint-weights-and-capacities --endpoint-name ${name} --desired-weights-and-capacities VariantName=${variantsAboveZero(endpoint)[0]},DesiredInstanceCount=0`,
      );
    }
    return false;
  }

  /** The dynamic scale-in this run suspended (in-place at 0) is resumed, passed or failed. */
  async resumeScaleIn(): Promise<void> {
    const zero = await this.raisedFromZero();
    if (!zero) return;
    const name = this.state.names.endpoint;
    try {
      const resumed = await resumeScaleIn(name, zero);
      if (resumed) this.addAction(resumed);
    } catch (error) {
      if (isTransientAwsError(error)) throw error;
      throw this.failed(
        `resume dynamic scale-in of endpoint ${name} (${describeError(error)})`,
        `aws application-autoscaling register-scalable-target --service-namespace sagemaker --resource-id ${scalableResourceId(name)} ` +
          `--scalable-dimension ${SCALABLE_DIMENSION} --suspended-state DynamicScalingInSuspended=false`,
      );
    }
  }

  /** This run's config or model: deleted if this execution created it, kept under onFailure keep. */
  async removeOwn(kind: 'endpoint config' | 'model', name: string): Promise<void> {
    const described =
      kind === 'model'
        ? (await describeModelOrUndefined(name))?.ModelArn
        : (await describeEndpointConfigOrUndefined(name))?.EndpointConfigArn;
    if (!described) return;
    if (!isCreatedBy(await resourceTags(described), this.state.execution.id)) {
      this.addAction(`${kind} ${name} was not created by this execution; left as is`);
      return;
    }
    if (this.keep) {
      this.addKept(`${kind} ${name}`);
      return;
    }
    try {
      if (kind === 'model') await sagemaker().send(new DeleteModelCommand({ ModelName: name }));
      else await sagemaker().send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
    } catch (error) {
      if (isSageMakerNotFound(error)) return;
      if (isTransientAwsError(error)) throw error;
      const command = kind === 'model' ? `delete-model --model-name ${name}` : `delete-endpoint-config --endpoint-config-name ${name}`;
      throw this.failed(`delete ${kind} ${name} (${describeError(error)})`, `aws sagemaker ${command}`);
    }
    this.addAction(`deleted ${kind} ${name}`);
  }

  waiting(endpoint: DescribeEndpointCommandOutput): RollbackProgress {
    const status = endpoint.EndpointStatus ?? 'unknown';
    if (IN_TRANSITION.has(status)) this.addAction(`waiting for endpoint ${endpoint.EndpointName ?? this.state.names.endpoint} (${status})`);
    return this.progress(false);
  }

  completed(): RollbackProgress {
    if (this.actions.length === 0 && this.kept.length === 0) this.addAction('nothing to roll back: no SageMaker resource of this run exists');
    return this.progress(true);
  }

  private progress(complete: boolean): RollbackProgress {
    return {
      complete,
      actions: this.actions,
      kept: this.kept,
      nextPollSeconds: complete ? 0 : nextPollSeconds(Math.min(this.state.config.poll.endpointSeconds, ROLLBACK_POLL_SECONDS), this.polls - 1),
      startedAt: this.startedAt,
      polls: this.polls,
      ...(this.restoreRequested ? { restoreRequested: true } : {}),
    };
  }

  /**
   * In-place at 0: from DeployEndpoint's result, else (it failed after suspending scale-in, so $.deployment was never
   * written) from the tag it stamps on this run's config first.
   */
  private async raisedFromZero(): Promise<ScaledToZero | undefined> {
    if (this.state.deployment) return raisedFromZero(this.state.deployment);
    if (this.state.config.release.strategy !== 'in-place') return undefined;
    const arn = (await describeEndpointConfigOrUndefined(this.state.names.endpointConfig))?.EndpointConfigArn;
    return arn ? fromZeroTag((await resourceTags(arn))[SCALED_TO_ZERO_TAG]) : undefined;
  }

  /** The previous config from DeployEndpoint's result, else from the tag it stamps on this run's config first. */
  private async previousConfigName(): Promise<string | undefined> {
    if (this.state.deployment?.previousConfigName) return this.state.deployment.previousConfigName;
    const arn = (await describeEndpointConfigOrUndefined(this.state.names.endpointConfig))?.EndpointConfigArn;
    return arn ? (await resourceTags(arn))[PREVIOUS_CONFIG_TAG] || undefined : undefined;
  }

  private byHandCommand(): string {
    const { endpoint } = this.state.names;
    const previous = this.state.deployment?.previousConfigName;
    return previous
      ? `to restore it: aws sagemaker update-endpoint --endpoint-name ${endpoint} --endpoint-config-name ${previous}`
      : `if it was created by this run: aws sagemaker delete-endpoint --endpoint-name ${endpoint}`;
  }

  private failed(couldNot: string, byHand: string): RollbackFailed {
    return new RollbackFailed(
      `Rollback could not ${couldNot}. The deployment had failed with ${describeCaught(this.state.error)}. ` +
        `By hand: ${byHand}`,
    );
  }

  /** Words are added once: a pass repeated by a retry must not say everything twice. */
  private addAction(action: string): void {
    if (this.actions.at(-1) !== action) this.actions.push(action);
  }

  private addKept(resource: string): void {
    if (!this.kept.includes(resource)) this.kept.push(resource);
  }
}
