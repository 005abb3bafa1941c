import Handlebars from 'handlebars';

type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;

/** The block helpers a template may use; every other helper call is refused when saved. */
export const BLOCK_HELPERS = ['if', 'unless', 'each', 'with'] as const;
/** Helpers called inline: `{{lookup obj key}}`. */
export const INLINE_HELPERS = ['lookup'] as const;
const KNOWN_HELPERS: ReadonlySet<string> = new Set<string>([...BLOCK_HELPERS, ...INLINE_HELPERS]);
// Blocks whose body renders in the same context: its variables are the template's, but optional.
const SAME_CONTEXT_BLOCKS: ReadonlySet<string> = new Set(['if', 'unless']);

/** One complaint about a template's source, with the line it is on when known. */
export interface TemplateIssue {
  readonly part: string;
  readonly line?: number;
  readonly message: string;
}

/** What a template part uses: every variable, and those it cannot render without. */
export interface TemplateVariables {
  readonly variables: Set<string>;
  readonly required: Set<string>;
}

interface Walk {
  readonly part: string;
  readonly rawAllowed: boolean;
  readonly found: TemplateVariables;
  readonly issues: TemplateIssue[];
}

function issue(walk: Walk, node: Node, message: string): void {
  walk.issues.push({ part: walk.part, line: node.loc.start.line, message });
}

/** A variable's dotted name, or undefined for `this`, `@index`, `../x` and literals. */
function variableName(expression: Expression): string | undefined {
  if (expression.type !== 'PathExpression') return undefined;
  const path = expression as hbs.AST.PathExpression;
  if (path.data || path.depth > 0 || path.parts.length === 0) return undefined;
  return path.parts.join('.');
}

/** A call's arguments: its params, then its hash values (the parser leaves `hash` out when there is none). */
function argumentsOf(node: { params: Expression[]; hash?: hbs.AST.Hash }): Expression[] {
  return [...node.params, ...(node.hash?.pairs ?? []).map((pair) => pair.value)];
}

function use(walk: Walk, expression: Expression, required: boolean): void {
  if (expression.type === 'SubExpression') {
    const sub = expression as hbs.AST.SubExpression;
    helperCall(walk, sub, sub.path.original);
    for (const param of argumentsOf(sub)) use(walk, param, required);
    return;
  }
  const name = variableName(expression);
  if (name === undefined) return;
  walk.found.variables.add(name);
  if (required) walk.found.required.add(name);
}

function helperCall(walk: Walk, node: Node, name: string): void {
  if (!KNOWN_HELPERS.has(name)) issue(walk, node, `unknown helper "${name}": only ${[...KNOWN_HELPERS].join(', ')} are available`);
}

function statements(walk: Walk, program: hbs.AST.Program | undefined, context: 'root' | 'conditional' | 'nested'): void {
  for (const node of program?.body ?? []) statement(walk, node, context);
}

function statement(walk: Walk, node: hbs.AST.Statement, context: 'root' | 'conditional' | 'nested'): void {
  switch (node.type) {
    case 'ContentStatement':
    case 'CommentStatement':
      return;
    case 'MustacheStatement': {
      const mustache = node as hbs.AST.MustacheStatement;
      if (!mustache.escaped && !walk.rawAllowed) issue(walk, node, 'raw output ({{{x}}}) is allowed only in html');
      const args = argumentsOf(mustache);
      const isCall = args.length > 0;
      if (isCall && mustache.path.type === 'PathExpression') helperCall(walk, node, (mustache.path as hbs.AST.PathExpression).original);
      if (context === 'nested') return;
      if (!isCall) args.push(mustache.path);
      for (const arg of args) use(walk, arg, context === 'root');
      return;
    }
    case 'BlockStatement': {
      const block = node as hbs.AST.BlockStatement;
      const name = block.path.original;
      const args = argumentsOf(block);
      const isCall = args.length > 0;
      if (isCall) helperCall(walk, node, name);
      if (context !== 'nested') for (const arg of isCall ? args : [block.path]) use(walk, arg, false);
      const inner = isCall && SAME_CONTEXT_BLOCKS.has(name) && context !== 'nested' ? 'conditional' : 'nested';
      statements(walk, block.program, inner);
      // `{{else}}` of an each renders in the outer context.
      statements(walk, block.inverse, context === 'nested' ? 'nested' : 'conditional');
      return;
    }
    default:
      // Partials and decorators would reach templates and code outside this one.
      issue(walk, node, 'partials and decorators are not available');
  }
}

/**
 * Parses one part of a template (subject, html or text) and lists the variables it uses,
 * with what is refused in it: unknown helpers, partials, decorators, raw output outside html.
 */
export function analyseTemplatePart(part: string, source: string, rawAllowed: boolean, found: TemplateVariables): TemplateIssue[] {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = /on line (\d+)/.exec(message)?.[1];
    return [{ part, ...(line === undefined ? {} : { line: Number(line) }), message: message.split('\n')[0] ?? message }];
  }
  const walk: Walk = { part, rawAllowed, found, issues: [] };
  statements(walk, program, 'root');
  return walk.issues;
}
