import type { LocalEventBridge, LocalRule } from '../local-eventbridge/LocalEventBridge.js';
import type { LocalResource } from './provision.js';
import type { StackModel } from './stackModel.js';

/**
 * Puts the stack's buses and rules on the local EventBridge, each target resolved to its local queue and
 * allowed only when the queue's policy names the rule; adds the rules to `resources` (`provisionStack`
 * added the buses).
 */
export function configureEventBridge(
  bridge: LocalEventBridge,
  model: StackModel,
  resources: Map<string, LocalResource>,
  region: string,
): void {
  const account = '123456789012';
  const busNames = new Map(model.buses.map((bus) => [bus.logicalId, bus.name]));
  const queueTarget = (queueId: string, ruleId: string) => {
    const queue = resources.get(queueId);
    return {
      arn: queue?.arn ?? queueId,
      url: queue?.ref ?? '',
      allowed: model.eventsAllowedBy.get(queueId)?.has(ruleId) ?? false,
    };
  };
  const rules = model.rules.map((rule): LocalRule => {
    const busName =
      'name' in rule.bus ? rule.bus.name : (busNames.get(rule.bus.logicalId) ?? rule.bus.logicalId);
    const arn = `arn:aws:events:${region}:${account}:rule/${busName === 'default' ? '' : `${busName}/`}${rule.logicalId}`;
    resources.set(rule.logicalId, { ref: rule.logicalId, arn });
    return {
      name: rule.logicalId,
      arn,
      busName,
      eventPattern: rule.eventPattern,
      enabled: rule.enabled,
      targets: rule.targets.map((target) => ({
        ...target,
        queue: queueTarget(target.queueLogicalId, rule.logicalId),
        deadLetter: target.deadLetterLogicalId
          ? queueTarget(target.deadLetterLogicalId, rule.logicalId)
          : undefined,
      })),
    };
  });
  bridge.configure({ buses: model.buses.map((bus) => bus.name), rules });
}
