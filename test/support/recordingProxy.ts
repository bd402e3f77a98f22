import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy passed on, as the SDK sent it. */
export interface RecordedRequest {
  readonly headers: IncomingHttpHeaders;
  /** The JSON protocol's operation (`x-amz-target`), e.g. `AmazonSQS.SendMessage`. */
  readonly target: string;
  /** The body, once it has been read whole. */
  body?: string;
}

/**
 * A pass-through HTTP proxy in front of a local engine that records every request (headers, operation,
 * body), so a test can check what the SDK really put on the wire.
 *
 * @example
 * const proxy = await recordingProxy(sqs.endpoint);
 * new SQSClient({ endpoint: proxy.endpoint, useQueueUrlAsEndpoint: false });
 */
export async function recordingProxy(
  target: string,
): Promise<{ server: Server; endpoint: string; requests: RecordedRequest[]; stop(): void }> {
  const requests: RecordedRequest[] = [];
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    const recorded: RecordedRequest = {
      headers: req.headers,
      target: String(req.headers['x-amz-target'] ?? ''),
    };
    requests.push(recorded);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.body = Buffer.concat(chunks).toString('utf8');
    });
    const upstream = httpRequest(
      { hostname, port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}
