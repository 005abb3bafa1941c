import type { Principal } from '../auth/scopes';
import { Coalescer } from '../platform/coalescer';
import { hasScope } from '../auth/scopes';
import { ForbiddenError, MissingVariablesError, NotFoundError, TemplateInvalidError } from '../domain/errors';
import { iso } from '../messages/views';
import { compileMjml } from './mjml-compiler';
import type { CreateTemplateRequest, PreviewRequest, TemplateVersionView, TemplateView, UpdateTemplateRequest } from './schema';
import type { TemplateRow, TemplateVersionRow } from './tables';
import { analyseTemplatePart, type TemplateIssue, type TemplateVariables } from './template-analysis';
import { type CompiledTemplate, CompiledTemplateCache, compileTemplate, missingVariables, type RenderBudget, DEFAULT_RENDER_BUDGET, type RenderedMessage, renderTemplate } from './template-renderer';
import type { NewVersion, TemplateRef, TemplateRepository } from './template-repository';

/** A template chosen for a send: its id and version, compiled. */
export interface ResolvedTemplate {
  readonly templateId: string;
  readonly version: number;
  readonly compiled: CompiledTemplate;
}

function toVersionView(row: TemplateVersionRow): TemplateVersionView {
  return {
    version: row.version,
    engine: row.engine,
    subject: row.subject,
    html: row.html,
    text: row.text,
    source: row.source,
    variables: row.variables,
    required_variables: row.required_variables,
    created_by: row.created_by,
    created_at: iso(row.created_at),
  };
}

function toView(row: TemplateRow, version?: TemplateVersionRow): TemplateView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    shared: row.client_id === null,
    active_version: row.active_version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ...(version === undefined ? {} : { version: toVersionView(version) }),
  };
}

const notFound = (name: string) => new NotFoundError(`No template named "${name}".`);

/** Templates: saving versions, reading them back, and rendering them for a send or a preview. */
export class TemplateService {
  readonly #cache = new CompiledTemplateCache();
  // Concurrent sends look their templates up in one statement, as their accepts share one INSERT.
  readonly #lookups: Coalescer<{ clientId: string; name: string; version: number | undefined }, TemplateRef | undefined>;

  constructor(
    private readonly repository: TemplateRepository,
    private readonly budget: RenderBudget = DEFAULT_RENDER_BUDGET,
  ) {
    this.#lookups = new Coalescer((lookups) => this.repository.refsOf(lookups), { maxInFlight: 4, maxBatch: 500 });
  }

  /** Checks and compiles what a client saves; TemplateInvalidError lists every issue with its line. */
  private async prepare(principal: Principal, input: UpdateTemplateRequest): Promise<NewVersion> {
    const found: TemplateVariables = { variables: new Set(), required: new Set() };
    const issues: TemplateIssue[] = [];
    let html = input.html ?? null;
    if (input.engine === 'mjml' && html !== null) {
      const compiled = await compileMjml(html);
      if ('issues' in compiled) throw new TemplateInvalidError(compiled.issues);
      html = compiled.html;
    }
    issues.push(...analyseTemplatePart('subject', input.subject, false, found));
    if (html !== null) issues.push(...analyseTemplatePart('html', html, true, found));
    if (input.text !== undefined) issues.push(...analyseTemplatePart('text', input.text, false, found));
    if (issues.length > 0) throw new TemplateInvalidError(issues);
    const version: NewVersion = {
      engine: input.engine,
      subject: input.subject,
      source: input.engine === 'mjml' ? (input.html ?? null) : null,
      html,
      text: input.text ?? null,
      variables: [...found.variables].sort(),
      required_variables: [...found.required].sort(),
      created_by: principal.clientId,
    };
    try {
      // Compiling once here finds what parsing alone does not (a helper called with a block it does not take).
      await compileTemplate(version);
    } catch (error) {
      throw new TemplateInvalidError([{ part: 'html', message: error instanceof Error ? (error.message.split('\n')[0] ?? 'invalid template') : 'invalid template' }]);
    }
    return version;
  }

  async create(principal: Principal, input: CreateTemplateRequest): Promise<TemplateView> {
    if (input.shared && !hasScope(principal, 'admin')) throw new ForbiddenError('Only an admin may create a shared template.');
    const version = await this.prepare(principal, input);
    const created = await this.repository.create(input.shared ? null : principal.clientId, input.name, input.description ?? null, version);
    return toView(created.template, created.version);
  }

  /** The template `principal` may change: its own, or a shared one for an admin. */
  private async writable(principal: Principal, name: string): Promise<TemplateRow> {
    const template = await this.repository.findByName(principal.clientId, name);
    if (template === undefined) throw notFound(name);
    if (template.client_id === null && !hasScope(principal, 'admin')) throw new ForbiddenError('Only an admin may change a shared template.');
    return template;
  }

  async update(principal: Principal, name: string, input: UpdateTemplateRequest): Promise<TemplateView> {
    const template = await this.writable(principal, name);
    const version = await this.prepare(principal, input);
    const saved = await this.repository.addVersion(template.id, input.description, version);
    return toView(saved.template, saved.version);
  }

  async archive(principal: Principal, name: string): Promise<void> {
    const template = await this.writable(principal, name);
    await this.repository.archive(template.id);
  }

  async list(principal: Principal): Promise<{ results: TemplateView[] }> {
    const rows = await this.repository.list(hasScope(principal, 'admin') ? undefined : principal.clientId);
    return { results: rows.map((row) => toView(row)) };
  }

  private async visible(principal: Principal, name: string): Promise<TemplateRow> {
    const template = await this.repository.findByName(principal.clientId, name);
    if (template === undefined) throw notFound(name);
    return template;
  }

  async get(principal: Principal, name: string): Promise<TemplateView> {
    const template = await this.visible(principal, name);
    return toView(template, await this.repository.version(template.id, template.active_version));
  }

  async versions(principal: Principal, name: string): Promise<{ results: TemplateVersionView[] }> {
    const template = await this.visible(principal, name);
    return { results: (await this.repository.versions(template.id)).map(toVersionView) };
  }

  async version(principal: Principal, name: string, version: number): Promise<TemplateVersionView> {
    const template = await this.visible(principal, name);
    const row = await this.repository.version(template.id, version);
    if (row === undefined) throw new NotFoundError(`Template "${name}" has no version ${version}.`);
    return toVersionView(row);
  }

  /**
   * The template a send names, compiled: one indexed read, then the compiled version from the
   * cache (a version never changes, so the cache is never stale). NotFoundError for an unknown
   * or archived name, or a version it does not have.
   */
  async resolve(clientId: string, name: string, version?: number): Promise<ResolvedTemplate> {
    const ref = await this.#lookups.submit({ clientId, name, version });
    if (ref === undefined) throw notFound(name);
    const compiled = await this.#cache.get(ref.id, ref.version, async () => {
      const row = await this.repository.version(ref.id, ref.version);
      if (row === undefined) throw new NotFoundError(`Template "${name}" has no version ${ref.version}.`);
      return row;
    });
    return { templateId: ref.id, version: ref.version, compiled };
  }

  /** Renders for a send: MissingVariablesError names every variable the data lacks. */
  render(template: ResolvedTemplate, data: Record<string, unknown>): RenderedMessage {
    const missing = missingVariables(template.compiled.required, data);
    if (missing.length > 0) throw new MissingVariablesError(missing);
    return renderTemplate(template.compiled, data, this.budget);
  }

  /** Renders without sending; missing variables render empty and are listed. */
  async preview(principal: Principal, name: string, input: PreviewRequest, data: Record<string, unknown>) {
    const template = await this.resolve(principal.clientId, name, input.version);
    if (input.draft !== undefined) {
      // Unsaved content (the console's editor): checked like a save, rendered, never stored.
      const compiled = await compileTemplate(await this.prepare(principal, input.draft));
      return { ...renderTemplate(compiled, data, this.budget), missing: missingVariables(compiled.required, data), version: template.version };
    }
    const rendered = renderTemplate(template.compiled, data, this.budget);
    return { ...rendered, missing: missingVariables(template.compiled.required, data), version: template.version };
  }
}
