import express, { type Request, type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../auth/authenticator';
import type { TwoStepRateLimit } from '../platform/rate-limit';
import { principalOf, requireScope } from '../auth/middleware';
import { NotFoundError } from '../domain/errors';
import { takeBodyBytes } from '../platform/body-budget';
import { Problem } from '../platform/errors';
import { jsonBody, requireContentType, route } from '../platform/http';
import { parseOrThrow } from '../platform/schema-helpers';
import type { EmailValidator } from './email-validator';
import { addressesOfUpload } from './job-input';
import { resultFilterSchema, validateBatchRequestSchema, validateEmailRequestSchema } from './schema';
import type { ValidationJobs } from './validation-jobs';

/** The per-client budget of addresses checked (VALIDATE_RATE_LIMIT a minute). */
export interface ValidationRateLimits {
  readonly validate: RequestHandler;
  readonly validateBatch: TwoStepRateLimit;
}

/** POST /api/validate/email and /api/validate/batch, with the `validate` scope. */
export function validationRoutes(validator: EmailValidator, authenticator: Authenticator, limits: ValidationRateLimits): Router {
  const router = Router();
  route(router, '/api/validate/email', {
    post: [
      requireScope(authenticator, 'validate'),
      limits.validate,
      requireContentType(),
      jsonBody('16kb'),
      async (req, res) => {
        const input = parseOrThrow(validateEmailRequestSchema, req.body);
        res.json(await validator.validate(input.email, { dns: input.checks?.dns }));
      },
    ],
  });
  route(router, '/api/validate/batch', {
    post: [
      requireScope(authenticator, 'validate'),
      limits.validateBatch.beforeBody,
      requireContentType(),
      jsonBody('2mb'),
      limits.validateBatch.afterBody,
      async (req, res) => {
        const input = parseOrThrow(validateBatchRequestSchema, req.body);
        res.json({ results: await validator.validateMany(input.emails, { dns: input.checks?.dns }) });
      },
    ],
  });
  return router;
}

const UPLOAD_TYPES = ['text/csv', 'text/plain'];
const UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;
const jobParams = z.object({ id: z.string().uuid() });

/** A text body (CSV or plain) of up to 10 MB, drawing on the app's body budget. */
function uploadBody(): RequestHandler {
  const parse = express.text({ type: UPLOAD_TYPES, limit: UPLOAD_LIMIT_BYTES });
  return (req, res, next) => {
    const refused = takeBodyBytes(req, res, UPLOAD_LIMIT_BYTES);
    if (refused !== undefined) {
      next(refused);
      return;
    }
    parse(req, res, next);
  };
}

function jobIdOf(req: Request): string {
  const parsed = jobParams.safeParse(req.params);
  if (!parsed.success) throw new NotFoundError('No such validation job.');
  return parsed.data.id;
}

/** The validation job routes: upload, status, results (JSON pages and CSV), cancel. */
export function validationJobRoutes(jobs: ValidationJobs, authenticator: Authenticator, limits: Pick<ValidationRateLimits, 'validate'>): Router {
  const router = Router();
  const scope = requireScope(authenticator, 'validate');
  route(router, '/api/validate/jobs', {
    post: [
      scope,
      limits.validate,
      requireContentType(...UPLOAD_TYPES),
      uploadBody(),
      async (req, res) => {
        if (typeof req.body !== 'string') throw new Problem(415, 'Unsupported Media Type', 'Send the addresses as text/csv or text/plain.');
        const emails = addressesOfUpload(req.body, req.is('text/csv') === 'text/csv');
        const job = await jobs.create(principalOf(req), emails);
        res.status(202).location(`/api/validate/jobs/${job.job_id}`).json({ job_id: job.job_id, status: job.status, total: job.total });
      },
    ],
  });
  route(router, '/api/validate/jobs/:id', {
    get: [scope, async (req, res) => void res.json(await jobs.get(principalOf(req), jobIdOf(req)))],
    delete: [scope, async (req, res) => void res.json(await jobs.cancel(principalOf(req), jobIdOf(req)))],
  });
  route(router, '/api/validate/jobs/:id/results', {
    get: [
      scope,
      async (req, res) => {
        const query = parseOrThrow(resultFilterSchema, req.query);
        res.json(await jobs.results(principalOf(req), jobIdOf(req), query));
      },
    ],
  });
  route(router, '/api/validate/jobs/:id/results.csv', {
    get: [
      scope,
      async (req, res) => {
        const { result } = parseOrThrow(resultFilterSchema, req.query);
        const id = jobIdOf(req);
        await jobs.get(principalOf(req), id);
        res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="validation-${id}.csv"`);
        // Once rows are on the wire no problem can be sent: a failure cuts the answer short instead.
        await jobs.exportCsv(principalOf(req), id, res, result).catch((error: unknown) => {
          res.destroy(error instanceof Error ? error : new Error('export failed'));
        });
      },
    ],
  });
  return router;
}
