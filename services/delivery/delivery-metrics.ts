import type { HeraldMetrics } from '../platform/metrics';
import type { DeliveryListener } from './delivery-service';

/** Counts every provider try in herald_deliveries_total and times it in herald_delivery_duration_seconds. */
export function deliveryMetricsListener(metrics: HeraldMetrics): DeliveryListener {
  return {
    onAttempt(_request, result) {
      for (const entry of result.tries) {
        metrics.deliveries.inc({ provider: entry.provider, outcome: entry.outcome });
        // A skipped try never reached the provider; its zero duration would only flatter the histogram.
        if (entry.outcome !== 'skipped') metrics.deliveryDuration.observe({ provider: entry.provider }, entry.durationMs / 1000);
      }
    },
    onStaleClaim(_request, transition) {
      metrics.staleClaimWrites.inc({ transition });
    },
  };
}
