import { createServer } from 'node:http';
import express from 'express';
import type { Infrastructure } from '../services/herald';
import { route } from '../services/platform/http';

export interface WorkerHttp {
  close(): Promise<void>;
}

/** The worker's own small HTTP surface: /livez for orchestrators. */
export async function startWorkerHttp(port: number, infra: Infrastructure): Promise<WorkerHttp> {
  const app = express();
  app.disable('x-powered-by');
  const router = express.Router();
  route(router, '/livez', { get: [(_req, res) => void res.json({ status: 'alive', role: 'worker' })] });
  app.use(router);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, resolve));
  infra.logger.info({ port }, 'worker http listening');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
