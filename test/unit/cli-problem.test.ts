import { HeraldRefusal, problemOf, renderProblem } from '../../services/cli/problem';

describe('problemOf and renderProblem', () => {
  it('renders the title, the detail and one line per field error', () => {
    const body = JSON.stringify({
      type: 'https://herald.dev/problems/recipient-undeliverable',
      title: 'Recipient Undeliverable',
      status: 422,
      detail: 'Some recipients cannot receive mail.',
      errors: [
        { field: 'to.0', message: 'undeliverable: nxdomain' },
        { field: 'cc.1', message: 'undeliverable: null_mx' },
      ],
    });
    const problem = problemOf(422, 'Unprocessable Entity', body);
    expect(renderProblem(problem)).toBe('Recipient Undeliverable: Some recipients cannot receive mail.\n  to.0: undeliverable: nxdomain\n  cc.1: undeliverable: null_mx');
    const refusal = new HeraldRefusal(problem);
    expect(refusal.concerns('to')).toBe(true);
    expect(refusal.concerns('cc')).toBe(true);
    expect(refusal.concerns('subject')).toBe(false);
    expect(refusal.message).toBe(renderProblem(problem));
  });

  it('shows the title once when the detail repeats it, or is missing', () => {
    expect(renderProblem(problemOf(401, 'Unauthorized', JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'Unauthorized' })))).toBe('Unauthorized');
    expect(renderProblem(problemOf(404, 'Not Found', JSON.stringify({ title: 'Not Found', status: 404 })))).toBe('Not Found');
  });

  it('an answer that is not problem+json still gives its status and a little of its text', () => {
    expect(problemOf(502, 'Bad Gateway', '<html>upstream down</html>')).toEqual({ status: 502, title: 'Bad Gateway', detail: '<html>upstream down</html>', errors: [] });
    expect(problemOf(500, '', '')).toEqual({ status: 500, title: 'HTTP 500', detail: undefined, errors: [] });
    expect(problemOf(503, 'Service Unavailable', 'x'.repeat(500)).detail).toHaveLength(200);
  });

  it('keeps only well-formed field errors', () => {
    const problem = problemOf(422, '', JSON.stringify({ title: 'Unprocessable Content', errors: [{ field: 'to', message: 'bad' }, 'junk', { message: { nested: true } }] }));
    expect(problem.errors).toEqual([
      { field: 'to', message: 'bad' },
      { field: '', message: '{"message":{"nested":true}}' },
    ]);
    expect(renderProblem(problem)).toBe('Unprocessable Content\n  to: bad\n  {"message":{"nested":true}}');
  });
});
