/** A field error as Herald's problem+json lists them. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** The parts of an RFC 9457 problem the terminal shows. */
export interface ProblemBody {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors: readonly FieldError[];
}

/** The server answered and refused (4xx or 5xx): the CLI shows the problem and exits 1. */
export class HeraldRefusal extends Error {
  override readonly name = 'HeraldRefusal';
  constructor(readonly problem: ProblemBody) {
    super(renderProblem(problem));
  }

  /** True when one of the field errors is about `field` or something under it (`to`, `to.0`). */
  concerns(field: string): boolean {
    return this.problem.errors.some((error) => error.field === field || error.field.startsWith(`${field}.`));
  }
}

/** No answer at all from HERALD_URL: the CLI says so with the URL and exits 3. */
export class HeraldUnreachable extends Error {
  override readonly name = 'HeraldUnreachable';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach Herald at ${url} (${reason}). Is it running? Start it with \`npm run quickstart\`, or set HERALD_URL.`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problem in an error answer; a body that is not problem+json still gives its status and some text. */
export function problemOf(status: number, statusText: string, body: string): ProblemBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed) && typeof parsed.title === 'string') {
    const errors = Array.isArray(parsed.errors)
      ? parsed.errors.filter(isRecord).map((e) => ({ field: typeof e.field === 'string' ? e.field : '', message: typeof e.message === 'string' ? e.message : JSON.stringify(e) }))
      : [];
    return { status, title: parsed.title, detail: typeof parsed.detail === 'string' ? parsed.detail : undefined, errors };
  }
  const text = body.trim().slice(0, 200);
  return { status, title: statusText || `HTTP ${status}`, detail: text === '' ? undefined : text, errors: [] };
}

/** A problem as lines for a person: the title and detail, then one line per field error. */
export function renderProblem(problem: ProblemBody): string {
  const head = problem.detail === undefined || problem.detail === problem.title ? problem.title : `${problem.title}: ${problem.detail}`;
  const fields = problem.errors.map((error) => `  ${error.field === '' ? '' : `${error.field}: `}${error.message}`);
  return [head, ...fields].join('\n');
}
