import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_STATS_DAYS = 366;
const isoDay = z.iso.date().meta({ description: 'A UTC day, YYYY-MM-DD.' });

/** ?from=&to=&tag=: days of acceptance, both ends included; the last 30 days by default. */
export const statsQuerySchema = z
  .object({
    from: isoDay.optional(),
    to: isoDay.optional(),
    tag: z.string().min(1).max(64).optional(),
  })
  .transform((value) => {
    const to = value.to ?? new Date().toISOString().slice(0, 10);
    const from = value.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
    return { from, to, ...(value.tag === undefined ? {} : { tag: value.tag }) };
  })
  .refine((value) => value.from <= value.to, { path: ['from'], message: 'must not be after to' })
  .refine((value) => Date.parse(value.to) - Date.parse(value.from) < MAX_STATS_DAYS * DAY_MS, { path: ['from'], message: `at most ${MAX_STATS_DAYS} days` });
export type StatsQuery = z.infer<typeof statsQuerySchema>;

const counts = {
  sent: z.number().int(),
  delivered: z.number().int(),
  bounced: z.number().int(),
  complained: z.number().int(),
  unique_human_opens: z.number().int().meta({ description: 'Messages opened at least once by a person (not a privacy proxy, scanner or prefetch).' }),
  machine_opens: z.number().int().meta({ description: 'Opens by machines: kept, not counted as a person\'s.' }),
  unique_clicks: z.number().int().meta({ description: 'Messages with at least one click by a person.' }),
  conversions: z.number().int(),
  unsubscribes: z.number().int(),
};
const rate = z.number().nullable();
export const ratesSchema = z
  .object({ bounce: rate, complaint: rate, open: rate, click: rate, conversion: rate, unsubscribe: rate })
  .meta({ description: 'Each count over delivered, null while nothing is delivered.' });

export const statsCountsSchema = z.object({ ...counts, rates: ratesSchema });
export type StatsCounts = z.infer<typeof statsCountsSchema>;

export const statsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  tag: z.string().nullable(),
  template: z.string().nullable(),
  totals: statsCountsSchema,
  days: z.array(statsCountsSchema.extend({ date: z.string() })).meta({ description: 'Days with messages only, by the day each message was accepted (UTC).' }),
});
export type StatsResponse = z.infer<typeof statsResponseSchema>;
