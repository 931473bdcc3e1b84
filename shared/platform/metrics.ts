import type { MiddlewareObj } from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, METRICS_SERVICE, type BridgeMetricName } from './metric-names';

/** The one metrics instance (embedded metric format); POWERTOOLS_METRICS_DISABLED silences it outside Lambda. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

// Powertools' own hasStoredMetrics() reads environment variables on every call; this flag is a field read.
let counted = false;

export function countMetric(name: BridgeMetricName, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  counted = true;
}

/**
 * Flushes the invocation's metrics, if it counted any. Powertools' own
 * logMetrics middleware warns on every invocation that counted nothing (most
 * Slack events are ignored echoes), which would fill the logs.
 */
export function publishMetrics(): MiddlewareObj {
  const publish = (): void => {
    if (!counted) return;
    counted = false;
    metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
