// mjml ships no types; this is the slice of its API that compileMjml uses.
declare module 'mjml' {
  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    ignoreIncludes?: boolean;
    keepComments?: boolean;
  }
  interface MjmlResult {
    html: string;
    errors: { line?: number; message?: string }[];
  }
  function mjml2html(source: string, options?: MjmlOptions): Promise<MjmlResult>;
  export default mjml2html;
}
