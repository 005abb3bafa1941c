/** How a template's html is written: Handlebars html, or mjml compiled to html when saved. */
export const TEMPLATE_ENGINES = ['handlebars', 'mjml'] as const;
export type TemplateEngine = (typeof TEMPLATE_ENGINES)[number];
