import type { TemplateIssue } from './template-analysis';

interface MjmlError {
  readonly line?: number;
  readonly message?: string;
}

/**
 * Compiles mjml source to html when a template is saved. Strict validation, and mj-include is
 * ignored: a template must not read files of the server. Handlebars {{…}} pass through.
 */
export async function compileMjml(source: string): Promise<{ html: string } | { issues: TemplateIssue[] }> {
  try {
    // Loaded on the first mjml save only: it weighs about 60 MB and most processes never need it.
    const { default: mjml2html } = await import('mjml');
    const result = await mjml2html(source, { validationLevel: 'strict', ignoreIncludes: true, keepComments: false });
    return { html: result.html };
  } catch (error) {
    const errors = (error as { errors?: MjmlError[] } | null)?.errors;
    const issues = Array.isArray(errors) && errors.length > 0
      ? errors.map((e) => ({ part: 'html', ...(typeof e.line === 'number' ? { line: e.line } : {}), message: String(e.message ?? 'invalid mjml') }))
      : [{ part: 'html', message: error instanceof Error ? error.message.split('\n')[0] ?? 'invalid mjml' : 'invalid mjml' }];
    return { issues };
  }
}
