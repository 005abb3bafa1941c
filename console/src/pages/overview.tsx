import { api } from '../api';
import { fillMinutes, type MinutePoint } from '../data';
import { Badge, LoadState, Notice, useInterval, useLoad } from '../ui';

interface Overview {
  readonly messages_24h: Record<string, number>;
  readonly deliveries_per_minute: readonly MinutePoint[];
  readonly providers: readonly { provider: string; circuit: string; tries_15m: number; failures_15m: number }[];
  readonly queue: { readonly counts: Record<string, number>; readonly oldest_waiting_s: number };
  readonly live_workers: number;
}

interface Health {
  readonly status: string;
  readonly checks: Record<string, { status?: string } | string>;
}

const CHART_MINUTES = 60;

/** Deliveries per minute as an SVG bar chart: sent up, failed in red on top. */
export function MinuteChart({ points }: { points: readonly MinutePoint[] }) {
  const series = fillMinutes(points, new Date(), CHART_MINUTES);
  const max = Math.max(1, ...series.map((p) => p.sent + p.failed));
  const width = 600;
  const height = 140;
  const bar = width / series.length;
  const total = series.reduce((sum, p) => sum + p.sent, 0);
  const failed = series.reduce((sum, p) => sum + p.failed, 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={`Deliveries per minute over the last hour: ${total} sent, ${failed} failed; at most ${max} in a minute.`}>
        {series.map((p, i) => {
          const sentH = (p.sent / max) * height;
          const failH = (p.failed / max) * height;
          return (
            <g key={p.minute}>
              <rect class="sent" x={i * bar + 1} y={height - sentH} width={bar - 2} height={sentH}>
                <title>{`${p.minute.slice(11, 16)}: ${p.sent} sent, ${p.failed} failed`}</title>
              </rect>
              <rect class="failed" x={i * bar + 1} y={height - sentH - failH} width={bar - 2} height={failH} />
            </g>
          );
        })}
        <line x1="0" x2={width} y1={height} y2={height} class="axis" />
        <text x="0" y={height + 16} class="tick">
          60 min ago
        </text>
        <text x={width} y={height + 16} class="tick" text-anchor="end">
          now (max {max}/min)
        </text>
      </svg>
      <figcaption>
        Deliveries per minute, last hour: {total} sent, {failed} failed.
      </figcaption>
    </figure>
  );
}

export function Overview() {
  const health = useLoad(() => api.get<Health>('/healthz'), 'health');
  const overview = useLoad(() => (api.isAdmin ? api.get<Overview>('/api/admin/overview') : Promise.resolve(undefined)), 'overview');
  useInterval(() => {
    health.reload();
    overview.reload();
  }, 5000);
  return (
    <section>
      <h1>Overview</h1>
      <LoadState loaded={health}>
        {(h) => (
          <p>
            Herald is <Badge status={h.status} />:{' '}
            {Object.entries(h.checks)
              .map(([name, check]) => `${name} ${typeof check === 'string' ? check : (check.status ?? '')}`)
              .join(', ')}
            .
          </p>
        )}
      </LoadState>
      {!api.isAdmin ? (
        <Notice tone="info">
          Your messages are on the <a href="#/messages">Messages</a> page; the delivery chart and the queues are for admins.
        </Notice>
      ) : (
        <LoadState loaded={overview} missing="This Herald has no overview endpoint (GET /api/admin/overview answers 404).">
          {(o) =>
            o === undefined ? null : (
              <>
                <MinuteChart points={o.deliveries_per_minute} />
                <div class="grid">
                  <div class="card">
                    <h2>Last 24 hours</h2>
                    {Object.keys(o.messages_24h).length === 0 ? (
                      <p class="muted">No messages in the last 24 hours.</p>
                    ) : (
                      <ul class="plain">
                        {Object.entries(o.messages_24h).map(([status, count]) => (
                          <li key={status}>
                            <a href={`#/messages?status=${status}`}>
                              <Badge status={status} />
                            </a>{' '}
                            {count}
                          </li>
                        ))}
                      </ul>
                    )}
                  </div>
                  <div class="card">
                    <h2>Providers</h2>
                    {o.providers.length === 0 ? (
                      <p class="muted">No provider has been tried in the last 15 minutes.</p>
                    ) : (
                      <ul class="plain">
                        {o.providers.map((p) => (
                          <li key={p.provider}>
                            {p.provider}: circuit <Badge status={p.circuit} />, {p.tries_15m} tries and {p.failures_15m} failures in 15 min
                          </li>
                        ))}
                      </ul>
                    )}
                  </div>
                  <div class="card">
                    <h2>Queue</h2>
                    <p>
                      {o.queue.counts.waiting ?? 0} waiting, {o.queue.counts.active ?? 0} active, {o.queue.counts.delayed ?? 0} delayed; the oldest has waited{' '}
                      {Math.round(o.queue.oldest_waiting_s)} s.
                    </p>
                    <p>
                      {o.live_workers} live worker{o.live_workers === 1 ? '' : 's'}.{' '}
                      <a href="/admin/queues" target="_blank" rel="noopener">
                        The queue dashboard
                      </a>
                    </p>
                  </div>
                </div>
              </>
            )
          }
        </LoadState>
      )}
    </section>
  );
}
