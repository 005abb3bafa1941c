import { z } from 'zod';
import { bodyText, storableJson, withinDepth } from '../platform/schema-helpers';
import { TEMPLATE_ENGINES } from './template-engines';

export const MAX_TEMPLATE_BYTES = 500_000;
export const MAX_VARIABLES_BYTES = 64 * 1024;
export const MAX_VARIABLES_DEPTH = 8;
export const TEMPLATE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const templateName = z.string().regex(TEMPLATE_NAME_PATTERN, 'must be a slug: lower-case letters, digits, - and _, at most 64');

// The subject is a template too: {{…}} is fine, a line break is not.
const subjectTemplate = z
  .string()
  .min(1)
  .max(998)
  .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks');

const contentFields = {
  engine: z.enum(TEMPLATE_ENGINES).default('handlebars'),
  subject: subjectTemplate,
  html: bodyText(MAX_TEMPLATE_BYTES).optional().meta({ description: 'Handlebars html, or the mjml source when engine is mjml.' }),
  text: bodyText(MAX_TEMPLATE_BYTES).optional().meta({ description: 'Handlebars text; made from the html with html-to-text when absent.' }),
  description: z.string().max(1000).optional(),
};

function checkContent(value: { engine: string; html?: string; text?: string }, ctx: z.RefinementCtx): void {
  if (value.html === undefined && value.text === undefined) ctx.addIssue({ code: 'custom', path: ['html'], message: 'html or text is required' });
  if (value.engine === 'mjml' && value.html === undefined) ctx.addIssue({ code: 'custom', path: ['html'], message: 'an mjml template needs its source in html' });
}

/** POST /api/templates. */
export const createTemplateSchema = z
  .strictObject({ name: templateName, ...contentFields, shared: z.boolean().default(false).meta({ description: 'Admins only: a template every client may send with.' }) })
  .superRefine(checkContent);
export type CreateTemplateRequest = z.infer<typeof createTemplateSchema>;

/** PUT /api/templates/:name: the whole content again, saved as a new version. */
export const updateTemplateSchema = z.strictObject(contentFields).superRefine(checkContent);
export type UpdateTemplateRequest = z.infer<typeof updateTemplateSchema>;

/** Values for a template's {{…}}: any JSON object within a size and depth. */
export const templateVariables = z
  .record(z.string().max(256), z.unknown())
  .refine((value) => withinDepth(value, MAX_VARIABLES_DEPTH), { message: `must nest at most ${MAX_VARIABLES_DEPTH} levels deep`, abort: true })
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_VARIABLES_BYTES, `must be at most ${MAX_VARIABLES_BYTES} bytes as JSON`)
  .superRefine(storableJson);

/** POST /api/templates/:name/preview. */
export const previewSchema = z.strictObject({
  variables: templateVariables.default({}),
  version: z.number().int().min(1).optional(),
  contact_id: z.uuid().optional(),
  draft: updateTemplateSchema.optional().meta({
    description: 'Unsaved content to render instead of a saved version (an editor\'s live preview): checked like a PUT, never stored.',
  }),
});
export type PreviewRequest = z.infer<typeof previewSchema>;

/** `name` or `name@version`, as a send names a template. */
export const templateReference = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}(@[1-9][0-9]{0,8})?$/, 'must be a template name, optionally followed by @version')
  .transform((value) => {
    const [name = '', version] = value.split('@');
    return { name, version: version === undefined ? undefined : Number(version) };
  });

export const templateVersionViewSchema = z.object({
  version: z.number().int(),
  engine: z.enum(TEMPLATE_ENGINES),
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  source: z.string().nullable(),
  variables: z.array(z.string()),
  required_variables: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
});
export type TemplateVersionView = z.infer<typeof templateVersionViewSchema>;

export const templateViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  shared: z.boolean(),
  active_version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  version: templateVersionViewSchema.optional(),
});
export type TemplateView = z.infer<typeof templateViewSchema>;

export const previewViewSchema = z.object({
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  missing: z.array(z.string()),
  version: z.number().int(),
});
