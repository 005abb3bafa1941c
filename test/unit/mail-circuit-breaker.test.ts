import { CircuitBreaker } from '../../services/mail/circuit-breaker';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold and resets on success', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    breaker.recordFailure('smtp');
    breaker.recordFailure('smtp');
    breaker.recordSuccess('smtp');
    breaker.recordFailure('smtp');
    breaker.recordFailure('smtp');
    expect(breaker.isOpen('smtp')).toBe(false);
    expect(breaker.canTry('smtp')).toBe(true);
    expect(breaker.openProviders()).toEqual([]);
  });

  it('opens after the threshold of consecutive failures, per provider', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    breaker.recordFailure('sendgrid');
    breaker.recordFailure('sendgrid');
    breaker.recordFailure('mailgun');
    expect(breaker.isOpen('sendgrid')).toBe(true);
    expect(breaker.canTry('sendgrid')).toBe(false);
    expect(breaker.canTry('mailgun')).toBe(true);
    expect(breaker.openProviders()).toEqual(['sendgrid']);
  });

  it('defaults to five failures and a 30 s cool-down', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ now: clock.now });
    for (let i = 0; i < 4; i += 1) breaker.recordFailure('smtp');
    expect(breaker.isOpen('smtp')).toBe(false);
    breaker.recordFailure('smtp');
    expect(breaker.isOpen('smtp')).toBe(true);
    clock.advance(29_999);
    expect(breaker.canTry('smtp')).toBe(false);
    clock.advance(1);
    expect(breaker.canTry('smtp')).toBe(true);
  });

  it('lets exactly one probe through after the cool-down; success closes', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, now: clock.now });
    breaker.recordFailure('smtp');
    clock.advance(1000);
    expect(breaker.canTry('smtp')).toBe(true);
    expect(breaker.canTry('smtp')).toBe(false);
    expect(breaker.isOpen('smtp')).toBe(true);
    breaker.recordSuccess('smtp');
    expect(breaker.isOpen('smtp')).toBe(false);
    expect(breaker.canTry('smtp')).toBe(true);
    expect(breaker.canTry('smtp')).toBe(true);
  });

  it('re-opens for a full cool-down when the probe fails', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: clock.now });
    for (let i = 0; i < 3; i += 1) breaker.recordFailure('mailgun');
    clock.advance(1000);
    expect(breaker.canTry('mailgun')).toBe(true);
    breaker.recordFailure('mailgun');
    expect(breaker.canTry('mailgun')).toBe(false);
    clock.advance(999);
    expect(breaker.canTry('mailgun')).toBe(false);
    clock.advance(1);
    expect(breaker.canTry('mailgun')).toBe(true);
  });

  it('hands out a new probe when the previous one never reported back', () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, now: clock.now });
    breaker.recordFailure('smtp');
    clock.advance(1000);
    expect(breaker.canTry('smtp')).toBe(true);
    clock.advance(999);
    expect(breaker.canTry('smtp')).toBe(false);
    clock.advance(1);
    expect(breaker.canTry('smtp')).toBe(true);
  });
});
