import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** How the receiver answers one request: a status (and headers), or `hang` (never answers). */
export type Answer = { readonly status: number; readonly headers?: Record<string, string> } | 'hang';

/**
 * A real HTTP server standing in for a client's webhook receiver: records every request with
 * its raw body and answers from a script per path (`answerNext`), then with `fallback` (200).
 */
export interface WebhookReceiver {
  /** The base URL, http://127.0.0.1:port. */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Answers the next requests to `path` in order, then goes back to the fallback. */
  answerNext(path: string, ...answers: Answer[]): void;
  /** The answer once the script is used up. */
  fallback: Answer;
  /** Requests whose path is `path` (default: any path). */
  at(path: string): ReceivedWebhook[];
  /** Stops listening, ending hanging answers. */
  close(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, Answer[]>();
  const hanging = new Set<ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received,
    fallback: { status: 200 },
    answerNext: (path, ...answers) => void scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    at: (path) => received.filter((r) => r.path === path),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const answer = scripts.get(req.url ?? '/')?.shift() ?? receiver.fallback;
      if (answer === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
