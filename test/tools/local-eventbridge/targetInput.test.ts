import { describe, expect, it } from 'vitest';
import { fillTemplate, targetMessage, valueAtPath } from '../../../tools/local-eventbridge/targetInput.js';

const event = {
  id: 'e-1',
  source: 'aws.connect',
  time: '2026-11-29T12:00:00Z',
  detail: {
    contactId: 'c-1',
    instanceArn: 'arn:aws:connect:us-east-1:1:instance/i-1',
    n: 3,
    list: ['a', 'b'],
  },
};
const rule = { name: 'R', arn: 'arn:aws:events:us-east-1:1:rule/R' };

describe('local EventBridge: what a target receives', () => {
  it('reads JSON paths with dots and indices', () => {
    expect(valueAtPath(event, '$.detail.list[1]')).toBe('b');
    expect(valueAtPath(event, '$.detail.missing.x')).toBeUndefined();
    expect(valueAtPath(event, '$')).toEqual(event);
  });

  it('fills placeholders as the API reference shows: quoted inside strings, JSON outside', () => {
    // The API reference's own example: '{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}'
    const filled = fillTemplate(
      '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}',
      {
        instance: 'i-1',
        status: 'running',
      },
    );
    expect(JSON.parse(filled)).toEqual({ myInstance: 'i-1', myStatus: 'i-1 is in state "running"' });
    expect(fillTemplate('<instance> is in state <status>', { instance: 'i-1', status: 'running' })).toBe(
      'i-1 is in state running',
    );
    expect(JSON.parse(fillTemplate('{"n":<n>,"s":"n=<n>","missing":<m>}', { n: 3, m: undefined }))).toEqual({
      n: 3,
      s: 'n=3',
      missing: null,
    });
  });

  it('escapes a value that would break the JSON string it goes into', () => {
    expect(JSON.parse(fillTemplate('{"s":"<v>"}', { v: 'say "hi"\n' }))).toEqual({ s: 'say "hi"\n' });
  });

  it('builds the transfer rule’s request from a contact event, as the synthesized template asks', () => {
    const body = targetMessage(
      {
        inputTransformer: {
          inputPathsMap: {
            id: '$.id',
            'detail-contactId': '$.detail.contactId',
            'detail-instanceArn': '$.detail.instanceArn',
          },
          inputTemplate:
            '{"id":<id>,"detail":{"InstanceId":<detail-instanceArn>,"ContactId":<detail-contactId>,"ClientToken":"rule-R-<detail-contactId>"}}',
        },
      },
      event,
      rule,
    );
    expect(JSON.parse(body)).toEqual({
      id: 'e-1',
      detail: { InstanceId: event.detail.instanceArn, ContactId: 'c-1', ClientToken: 'rule-R-c-1' },
    });
  });

  it('sends the whole event, a constant, a path, and the predefined variables', () => {
    expect(JSON.parse(targetMessage({}, event, rule))).toEqual(event);
    expect(targetMessage({ input: '{"fixed":1}' }, event, rule)).toBe('{"fixed":1}');
    expect(JSON.parse(targetMessage({ inputPath: '$.detail.list' }, event, rule))).toEqual(['a', 'b']);
    const predefined = targetMessage(
      {
        inputTransformer: { inputTemplate: '{"rule":<aws.events.rule-name>,"arn":"<aws.events.rule-arn>"}' },
      },
      event,
      rule,
    );
    expect(JSON.parse(predefined)).toEqual({ rule: 'R', arn: rule.arn });
    const whole = targetMessage(
      {
        inputTransformer: { inputTemplate: '{"all":<aws.events.event.json>,"envelope":<aws.events.event>}' },
      },
      event,
      rule,
    );
    const { detail: _detail, ...envelope } = event;
    expect(JSON.parse(whole)).toEqual({ all: event, envelope });
  });
});
