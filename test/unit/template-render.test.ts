import fc from 'fast-check';
import { parseDocument } from 'htmlparser2';
import { TemplateRenderError } from '../../services/domain/errors';
import { type CompiledTemplate, compileTemplate, missingVariables, renderTemplate } from '../../services/templates/template-renderer';

// templates.md: whatever values a send brings, the html keeps the template's structure and the
// subject stays one header line.

const HTML = '<div class="card"><p title="{{a}}">{{a}}</p><a href="{{b}}">{{b.c}}</a>{{#each list}}<i>{{this}}</i>{{/each}}</div>';
let template: CompiledTemplate;
beforeAll(async () => {
  template = await compileTemplate({ subject: 'Re: {{a}} {{b}}', html: HTML, text: null, required_variables: [] });
});

// Fragments that break markup or headers when they get through.
const NASTY = ['<', '>', '"', "'", '&', '`', '=', '</p>', '<script>', '{{a}}', '\r\n', '\n', '\r', '\u0085', '\u2028', '\u202e', 'Bcc: x@example.com'];
const nastyString = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom(...NASTY)), { maxLength: 8 }).map((parts) => parts.join(''));
const value = fc.oneof(nastyString, fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(nastyString, nastyString, { maxKeys: 3, noNullPrototype: true }));

/** The element names, in document order, and the attribute names each has. */
function structure(html: string): string[] {
  const out: string[] = [];
  const walk = (nodes: readonly unknown[]) => {
    for (const node of nodes as { type: string; name?: string; attribs?: Record<string, string>; children?: unknown[] }[]) {
      if (node.type === 'tag' || node.type === 'script' || node.type === 'style') out.push(`${node.name ?? ''}[${Object.keys(node.attribs ?? {}).join(',')}]`);
      if (node.children !== undefined) walk(node.children);
    }
  };
  walk(parseDocument(html).children);
  return out;
}

describe('template rendering, property-based', () => {
  it('random values never change the html structure nor put a line break in the subject', () => {
    fc.assert(
      fc.property(value, value, fc.array(value, { maxLength: 3 }), (a, b, list) => {
        const rendered = renderTemplate(template, { a, b, list });
        const expected = ['div[class]', 'p[title]', 'a[href]', ...list.map(() => 'i[]')];
        expect(structure(rendered.html ?? '')).toEqual(expected);
        expect(rendered.subject).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
      }),
      { numRuns: 300 },
    );
  });

  it('a value that cannot become text is a render error, not a crash', () => {
    expect(() => renderTemplate(template, { a: { toString: 1 } })).toThrow(TemplateRenderError);
  });

  it('a missing variable is one absent or null anywhere along its path', () => {
    expect(missingVariables(['a', 'b.c', 'd'], { a: 0, b: { c: '' }, d: false })).toEqual([]);
    expect(missingVariables(['a', 'b.c', 'd'], { a: null, b: 'x', d: undefined })).toEqual(['a', 'b.c', 'd']);
    expect(missingVariables(['constructor', 'a.toString'], { a: {} })).toEqual(['constructor', 'a.toString']);
  });
});
