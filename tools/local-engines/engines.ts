import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { type FauxqsServer, interceptLocalhostDns, startFauxqs } from 'fauxqs';
import { RealisticSqsProxy } from './RealisticSqsProxy.js';

/** A local engine: where to reach it and how to stop it. */
export interface LocalEngine {
  /** The base URL for the SDK's `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Options of the local DynamoDB (dynalite). */
export interface LocalDynamoDBOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** A LevelDB directory that keeps tables across restarts. @default - in memory */
  readonly dataDirectory?: string;
}

/**
 * Starts dynalite (DynamoDB in pure Node) on 127.0.0.1. It has no TransactWriteItems, which this product
 * does not use.
 *
 * @example
 * const dynamodb = await startLocalDynamoDB();
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
 */
export async function startLocalDynamoDB(options: LocalDynamoDBOptions = {}): Promise<LocalEngine> {
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDirectory && { path: options.dataDirectory }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The local SQS: the engine, plus the fauxqs server for setting up queues. */
export interface LocalSqs extends LocalEngine {
  readonly server: FauxqsServer;
  /** The proxy in front of fauxqs: what it refused, as real SQS would. */
  readonly realism: RealisticSqsProxy;
}

/**
 * Starts the local SQS on 127.0.0.1: fauxqs, behind a proxy that refuses what real SQS refuses (characters,
 * size with attributes, delays) and stamps each message's `SenderId` with its sender's access key, as SQS
 * does with its sender's identity. The endpoint is the proxy's (on `port`); fauxqs's queue URLs name
 * `sqs.<region>.localhost`, which does not resolve here, so this process's DNS lookups of `*.localhost` are
 * pointed at 127.0.0.1 until `stop()`.
 *
 * @example
 * const sqs = await startLocalSqs();
 * process.env.AWS_ENDPOINT_URL_SQS = sqs.endpoint;
 */
export async function startLocalSqs(options: { port?: number; region?: string } = {}): Promise<LocalSqs> {
  const restoreDns = interceptLocalhostDns();
  // On 127.0.0.1 like every other local engine: fauxqs alone would listen on every interface.
  const server = await startFauxqs({
    port: 0,
    host: '127.0.0.1',
    logger: false,
    defaultRegion: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
  });
  const proxy = await RealisticSqsProxy.start(`http://127.0.0.1:${server.port}`, { port: options.port ?? 0 });
  return {
    endpoint: proxy.endpoint,
    server,
    realism: proxy,
    stop: async () => {
      await proxy.stop();
      await server.stop();
      restoreDns();
    },
  };
}
