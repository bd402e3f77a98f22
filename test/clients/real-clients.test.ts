import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerKey, TRANSFER_REQUESTED_DETAIL_TYPE } from '../../src/contract/index.js';
import { LocalOrchestrator } from '../../tools/local-runner/LocalOrchestrator.js';
import { SAMPLE_INSTANCE_ID } from '../../tools/local-runner/sampleContactCenter.js';

const run = promisify(execFile);

// The README promises the AWS CLI and boto3 work against the local engines: both, installed from the Python
// registry (pinned) into a virtual environment, against the endpoints `npm start` writes to local.env.
const AWSCLI = 'awscli==1.46.3';
const BOTO3 = 'boto3==1.44.18';

const BOTO3_SCRIPT = `
import json, os, sys, time, boto3
queue_url, table, token, contact = sys.argv[1:5]
body = {"InstanceId": os.environ["INSTANCE"], "ContactId": contact,
        "ContactFlowId": "flow-transfer-to-queue", "QueueId": "support", "ClientToken": token}
boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
ddb = boto3.client("dynamodb")
for _ in range(120):
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "request#" + token}}, ConsistentRead=True).get("Item", {})
    if "ContactId" in item:
        print(json.dumps({"status": "transferred", "ContactId": item["ContactId"]["S"]}))
        break
    time.sleep(0.5)
else:
    print(json.dumps({"status": "unknown"}))
`;

describe('real clients against the local mode: the AWS CLI and boto3', () => {
  let local: LocalOrchestrator;
  let venv: string;
  let env: NodeJS.ProcessEnv;
  const python = () => join(venv, 'bin', 'python');
  const aws = async (...args: string[]) => {
    const { stdout } = await run(join(venv, 'bin', 'aws'), [...args, '--output', 'json'], { env });
    return JSON.parse(stdout || '{}') as Record<string, unknown>;
  };
  const transferredToken = async (token: string) => {
    for (let i = 0; i < 120; i += 1) {
      if (local.connect.calls.some((call) => call.transferred && call.input.ClientToken === token))
        return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  };

  beforeAll(async () => {
    venv = mkdtempSync(join(tmpdir(), 'clients-'));
    await run('python3', ['-m', 'venv', venv]);
    await run(
      join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', AWSCLI, BOTO3],
      {
        timeout: 240_000,
      },
    );
    local = await LocalOrchestrator.start({ context: { instanceIds: SAMPLE_INSTANCE_ID } });
    // What local.env sets, and nothing of this process's own environment but its PATH.
    env = { ...local.clientEnvironment(), PATH: process.env.PATH, HOME: venv, INSTANCE: SAMPLE_INSTANCE_ID };
  }, 300_000);
  afterAll(async () => {
    await local?.stop();
    if (venv) rmSync(venv, { recursive: true, force: true });
  });

  it('aws connect transfer-contact, against the simulator itself', async () => {
    const output = await aws(
      'connect',
      'transfer-contact',
      '--instance-id',
      SAMPLE_INSTANCE_ID,
      '--contact-id',
      'task-5',
      '--contact-flow-id',
      'flow-transfer-to-queue',
      '--queue-id',
      'support',
      '--endpoint-url',
      local.connect.endpoint,
    );
    expect(output.ContactId).toEqual(expect.any(String));
    expect(output.ContactArn).toContain(SAMPLE_INSTANCE_ID);
  });

  it('aws sqs send-message into the transfer queue (the CLI v1 needs --endpoint-url in us-east-1)', async () => {
    const body = {
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: 'task-6',
      ContactFlowId: 'flow-transfer-to-queue',
      QueueId: 'support',
      ClientToken: 'cli-sqs-1',
    };
    const output = await aws(
      'sqs',
      'send-message',
      '--queue-url',
      local.queueUrl,
      '--message-body',
      JSON.stringify(body),
      '--endpoint-url',
      local.sqs.endpoint,
    );
    expect(output.MessageId).toEqual(expect.any(String));
    expect(await transferredToken('cli-sqs-1')).toBe(true);
  });

  it('aws events put-events onto the orchestrator bus', async () => {
    const detail = {
      InstanceId: SAMPLE_INSTANCE_ID,
      ContactId: 'task-7',
      ContactFlowId: 'flow-transfer-to-queue',
      QueueId: 'support',
      ClientToken: 'cli-events-1',
    };
    const entries = [
      {
        EventBusName: local.eventBusName,
        Source: 'crm',
        DetailType: TRANSFER_REQUESTED_DETAIL_TYPE,
        Detail: JSON.stringify(detail),
      },
    ];
    const output = await aws('events', 'put-events', '--entries', JSON.stringify(entries));
    expect(output.FailedEntryCount).toBe(0);
    expect(await transferredToken('cli-events-1')).toBe(true);
  });

  it('a boto3 script sends a request and reads its status from the ledger', async () => {
    const { stdout } = await run(
      python(),
      ['-c', BOTO3_SCRIPT, local.queueUrl, local.ledgerTableName, 'boto3-1', 'task-8'],
      { env, timeout: 90_000 },
    );
    const status = JSON.parse(stdout) as { status: string; ContactId?: string };
    expect(status.status).toBe('transferred');
    const call = local.connect.calls.find((c) => c.transferred && c.input.ClientToken === 'boto3-1');
    expect(status.ContactId).toBe((call?.output as { ContactId?: string } | undefined)?.ContactId);
    expect(LedgerKey.request('boto3-1')).toBe('request#boto3-1');
  }, 120_000);
});
