import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TableBilling } from '../src/contract/capacity.js';
import { DEFAULTS, minimumFunctionTimeoutSeconds } from '../src/contract/defaults.js';
import {
  type NumericSetting,
  type PropSettingName,
  rangeViolation,
  type SETTINGS,
  settingEntries,
} from '../src/contract/settings.js';
import { broughtQueueProblems } from './broughtQueues.js';
import type { TransferOrchestratorProps } from './props.js';

/** Every prop setting of the table is a prop of the construct (a compile-time check). */
const EVERY_SETTING_IS_A_PROP: PropSettingName extends keyof TransferOrchestratorProps ? true : never = true;
void EVERY_SETTING_IS_A_PROP;

/** A prop's value with its default applied: a duration as a `Duration`, a count as a number. */
type SettingValue<S> = S extends { readonly kind: 'duration' } ? Duration : number;

/** The props with every default applied: what the construct wires. */
export type Settings = { readonly [K in PropSettingName]: SettingValue<(typeof SETTINGS)[K]> } & {
  readonly instanceIds: readonly string[];
  readonly tableBilling: TableBilling;
};

/** The prop settings, walked by the defaults and the range rules. */
const PROP_SETTINGS = settingEntries().filter(([, setting]) => setting.prop) as [
  PropSettingName,
  NumericSetting,
][];

/**
 * The props are invalid: every violation found, each naming the prop, the value received and the fix.
 * Thrown from the constructor, with the construct's path, like aws-cdk's own validation errors.
 *
 * For TypeScript and JavaScript only (jsii cannot give other languages a subclass of `Error`): there the
 * error arrives as the language's own runtime error, with the same message.
 *
 * @jsii ignore
 */
export class TransferOrchestratorPropsError extends Error {
  /** One line per violated rule. */
  readonly violations: readonly string[];
  /** The path of the construct whose props are invalid. */
  readonly constructPath: string;

  constructor(scope: IConstruct, violations: readonly string[]) {
    super(
      `TransferOrchestrator at ${scope.node.path}: ${violations.length} invalid prop(s):\n- ${violations.join('\n- ')}`,
    );
    this.name = 'TransferOrchestratorPropsError';
    this.violations = violations;
    this.constructPath = scope.node.path;
  }
}

const INSTANCE_ID = /^[A-Za-z0-9-]{1,100}$/;

/** A number known at synth time; a token (a CloudFormation parameter, say) is not checked here. */
const known = (value: number): value is number => !Token.isUnresolved(value);
/** A duration's seconds when known at synth time. */
const secondsOf = (duration: Duration): number | undefined =>
  duration.isUnresolved() ? undefined : duration.toSeconds();

/** One rule: the message of its violation, or `undefined` when it is met (or cannot be checked yet). */
type Rule = (settings: Settings) => string | undefined;

/** Every rule the props must satisfy; all are checked, so one error lists everything to fix. */
const RULES: readonly Rule[] = [
  // Each prop within its range (the settings table's), unless it is a token.
  ...PROP_SETTINGS.map(
    ([name, setting]): Rule =>
      (settings) => {
        const value = settings[name];
        const known =
          typeof value === 'number' ? (Token.isUnresolved(value) ? undefined : value) : secondsOf(value);
        return known === undefined ? undefined : rangeViolation(name, setting, known);
      },
  ),
  ({ instanceIds }) => {
    const bad = instanceIds.filter((id) => !Token.isUnresolved(id) && !INSTANCE_ID.test(id));
    return bad.length === 0
      ? undefined
      : `instanceIds must be Amazon Connect instance ids (not ARNs), got ${bad.map((id) => JSON.stringify(id)).join(', ')}`;
  },
  (settings) => {
    // Each worker makes one call per (maxConcurrency / rate) seconds: a whole batch must fit in one invocation.
    const { batchSize, maxConcurrency, transferRatePerSecond: rate, functionTimeout } = settings;
    const timeout = secondsOf(functionTimeout);
    if (![batchSize, maxConcurrency, rate].every(known) || timeout === undefined || !(rate > 0)) return;
    const needed = minimumFunctionTimeoutSeconds(settings);
    return needed <= timeout
      ? undefined
      : `a batch of ${batchSize} at ${rate}/s shared by ${maxConcurrency} workers needs ${Math.ceil(needed)} s, ` +
          `more than functionTimeout (${timeout} s): raise functionTimeout, or lower batchSize or maxConcurrency`;
  },
  ({ functionTimeout, visibilityTimeout }) => {
    const timeout = secondsOf(functionTimeout);
    const visibility = secondsOf(visibilityTimeout);
    if (timeout === undefined || visibility === undefined) return;
    const minimum = timeout * DEFAULTS.visibilityTimeoutFactor;
    return visibility >= minimum
      ? undefined
      : `visibilityTimeout must be at least ${DEFAULTS.visibilityTimeoutFactor} times functionTimeout (${minimum} s), got ${visibility} s: raise it or leave it unset`;
  },
  ({ tableBilling }) =>
    tableBilling === 'provisioned' || tableBilling === 'on-demand'
      ? undefined
      : `tableBilling must be 'provisioned' or 'on-demand', got ${JSON.stringify(tableBilling)}`,
  ({ tableBilling, transferRatePerSecond }) =>
    tableBilling !== 'provisioned' || known(transferRatePerSecond)
      ? undefined
      : `tableBilling 'provisioned' sizes capacity to transferRatePerSecond, which is a token here: give a number or use tableBilling 'on-demand'`,
];

/** The props with the settings table's defaults applied (`visibilityTimeout`: a multiple of the timeout). */
export function withDefaults(props: TransferOrchestratorProps): Settings {
  const given = props as unknown as Partial<Record<PropSettingName, number | Duration>>;
  const values = Object.fromEntries(
    PROP_SETTINGS.map(([name, setting]) => [
      name,
      given[name] ?? (setting.kind === 'duration' ? Duration.seconds(setting.default) : setting.default),
    ]),
  ) as Record<PropSettingName, number | Duration>;
  const functionTimeout = values.functionTimeout as Duration;
  return {
    ...(values as unknown as Settings),
    instanceIds: [...new Set(props.instanceIds)],
    visibilityTimeout:
      props.visibilityTimeout ??
      (functionTimeout.isUnresolved()
        ? functionTimeout
        : Duration.seconds(functionTimeout.toSeconds() * DEFAULTS.visibilityTimeoutFactor)),
    // The enum's values are the contract's strings (lib/enums.ts checks it); an unknown one fails a rule.
    tableBilling:
      (props.tableBilling as string | undefined as TableBilling | undefined) ?? DEFAULTS.tableBilling,
  };
}

/**
 * Applies the defaults and checks every rule, throwing one {@link TransferOrchestratorPropsError} that lists
 * every violation. Values that are tokens (unresolved until deploy) are skipped, as aws-cdk does.
 *
 * @example
 * const settings = validateProps(this, props); // throws listing e.g. both a bad transferCap and batchSize
 */
export function validateProps(scope: IConstruct, props: TransferOrchestratorProps): Settings {
  const settings = withDefaults(props);
  const violations = RULES.map((rule) => rule(settings)).filter((v): v is string => v !== undefined);
  if (props.visibilityTimeout === undefined && settings.functionTimeout.isUnresolved()) {
    violations.push(
      `visibilityTimeout must be given when functionTimeout is a token (it defaults to ${DEFAULTS.visibilityTimeoutFactor} times functionTimeout)`,
    );
  }
  violations.push(...broughtQueueProblems(scope, props, settings));
  if (violations.length > 0) throw new TransferOrchestratorPropsError(scope, violations);
  return settings;
}
