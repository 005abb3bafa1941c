import Handlebars from 'handlebars';
import { TemplateRenderError } from '../domain/errors';
import { BLOCK_HELPERS, INLINE_HELPERS } from './template-analysis';

/** How long one render may take, and how much it may write, before it is refused. */
export interface RenderBudget {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export const DEFAULT_RENDER_BUDGET: RenderBudget = { timeoutMs: 250, maxBytes: 1_000_000 };
export const MAX_SUBJECT_LENGTH = 998;

/** What a version is made of, as stored. */
export interface TemplateSource {
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
  readonly required_variables: readonly string[];
}

/** A version compiled once: three render functions and the variables it cannot do without. */
export interface CompiledTemplate {
  readonly subject: HandlebarsTemplateDelegate;
  readonly html: HandlebarsTemplateDelegate | undefined;
  readonly text: HandlebarsTemplateDelegate | undefined;
  readonly required: readonly string[];
  /** True when the template reads `contact.*`: only then is a recipient looked up among contacts. */
  readonly usesContact: boolean;
}

export interface RenderedMessage {
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
}

interface Spending {
  readonly deadline: number;
  readonly maxBytes: number;
  bytes: number;
}

// Rendering is synchronous: at most one render is in progress in a process at any moment.
let spending: Spending | undefined;

function spend(bytes: number): void {
  if (spending === undefined) return;
  spending.bytes += bytes;
  if (spending.bytes > spending.maxBytes) throw new TemplateRenderError(`the rendered message would exceed ${spending.maxBytes} bytes`);
  if (Date.now() > spending.deadline) throw new TemplateRenderError('rendering took too long');
}

const hb = Handlebars.create();
// Only loops multiply output, so only `each` needs to count: it is replaced by one that does.
hb.unregisterHelper('each');
hb.unregisterHelper('log');
hb.registerHelper('each', function each(this: unknown, context: unknown, options: Handlebars.HelperOptions): string {
  if (context === null || typeof context !== 'object') return options.inverse(this);
  // Own keys only, as JSON gave them: nothing from a prototype.
  const entries: [string | number, unknown][] = Array.isArray(context)
    ? context.map((value: unknown, index) => [index, value])
    : Object.keys(context).map((key) => [key, (context as Record<string, unknown>)[key]]);
  if (entries.length === 0) return options.inverse(this);
  let out = '';
  entries.forEach(([key, value], index) => {
    const data = Handlebars.createFrame(options.data ?? {}) as Record<string, unknown>;
    Object.assign(data, { key, index, first: index === 0, last: index === entries.length - 1 });
    const chunk = options.fn(value, { data, blockParams: [value, key] });
    spend(chunk.length);
    out += chunk;
  });
  return out;
});
// Denied prototype lookups are logged by Handlebars' shared logger; a template cannot make us log.
Handlebars.logger.level = 5;

const KNOWN_HELPERS = Object.fromEntries([...BLOCK_HELPERS, ...INLINE_HELPERS].map((name) => [name, true]));

function compile(source: string, escape: boolean): HandlebarsTemplateDelegate {
  return hb.compile(source, { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, noEscape: !escape, strict: false });
}

const TEXT_OPTIONS = {
  wordwrap: false as const,
  selectors: [
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'img', format: 'skip' },
  ],
};

/**
 * The text part of a template that has none, made from its html once per version rather than
 * per message: html-to-text keeps the {{…}} in place, so rendering it gives the text of the
 * rendered html. Raw output ({{{x}}}) becomes plain output in text.
 */
export async function textTemplateOf(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  return convert(html, TEXT_OPTIONS).replace(/\{\{\{\s*([^}]*?)\s*\}\}\}/g, '{{$1}}');
}

/**
 * Compiles a stored version: its CSS inlined into the html with juice (once per version; juice
 * leaves {{…}} alone), a text part made with html-to-text when it has none.
 */
export async function compileTemplate(version: TemplateSource): Promise<CompiledTemplate> {
  // juice and html-to-text are loaded when a first template is compiled: a process that never renders one does not carry them.
  const { default: juice } = await import('juice');
  const html = version.html === null ? null : juice(version.html, { removeStyleTags: true, preserveMediaQueries: true });
  const text = version.text ?? (html === null ? null : await textTemplateOf(html));
  return {
    subject: compile(version.subject, false),
    html: html === null ? undefined : compile(html, true),
    text: text === null ? undefined : compile(text, false),
    required: version.required_variables,
    usesContact: [version.subject, version.html ?? '', version.text ?? ''].some((part) => /\bcontact\./.test(part)),
  };
}

// Line breaks (which would start a new header) and other control characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SUBJECT_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Renders a compiled template with `data` inside the budget. The subject is rendered unescaped
 * with line breaks and control characters replaced by spaces; the html escapes every {{x}}.
 */
export function renderTemplate(template: CompiledTemplate, data: Record<string, unknown>, budget: RenderBudget = DEFAULT_RENDER_BUDGET): RenderedMessage {
  spending = { deadline: Date.now() + budget.timeoutMs, maxBytes: budget.maxBytes, bytes: 0 };
  try {
    const subject = template.subject(data).replace(SUBJECT_UNSAFE, ' ').trim();
    const html = template.html === undefined ? null : template.html(data);
    const text = template.text === undefined ? null : template.text(data);
    if (subject.length > MAX_SUBJECT_LENGTH) throw new TemplateRenderError(`the rendered subject is longer than ${MAX_SUBJECT_LENGTH} characters`);
    if (subject.length === 0) throw new TemplateRenderError('the rendered subject is empty');
    if ((html?.length ?? 0) + (text?.length ?? 0) > budget.maxBytes) throw new TemplateRenderError(`the rendered message would exceed ${budget.maxBytes} bytes`);
    if (Date.now() > spending.deadline) throw new TemplateRenderError('rendering took too long');
    return { subject, html, text };
  } catch (error) {
    if (error instanceof TemplateRenderError) throw error;
    // A value Handlebars cannot turn into text (JSON's {"toString": 1}): the caller's to fix.
    throw new TemplateRenderError(`a variable cannot be rendered (${error instanceof Error ? error.message : 'unknown error'})`);
  } finally {
    spending = undefined;
  }
}

/** The required variables `data` lacks (absent or null at any step of their dotted path). */
export function missingVariables(required: readonly string[], data: Record<string, unknown>): string[] {
  return required.filter((name) => {
    let value: unknown = data;
    for (const part of name.split('.')) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return true;
      value = (value as Record<string, unknown>)[part];
    }
    return value === null || value === undefined;
  });
}

/**
 * Compiled versions by template id and version: a version never changes, so nothing is ever
 * stale. Holds the compiling promise, so concurrent first sends of a version compile it once.
 */
export class CompiledTemplateCache {
  readonly #entries = new Map<string, Promise<CompiledTemplate>>();

  constructor(private readonly maxEntries = 500) {}

  /** The compiled version, compiling it (from what `load` gives) on the first use. */
  get(templateId: string, version: number, load: () => Promise<TemplateSource>): Promise<CompiledTemplate> {
    const key = `${templateId}@${version}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const compiling = load().then(compileTemplate);
    // A failed load (no such version) is not kept: the version may be asked for again.
    compiling.catch(() => this.#entries.delete(key));
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, compiling);
    return compiling;
  }
}
