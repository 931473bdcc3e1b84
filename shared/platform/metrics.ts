import type { MiddlewareObj } from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CHANNEL_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, type BridgeMetricName, type ServiceLevelMetric } from './metric-names';

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

/**
 * A duration metric of its own, printed at once: twice, with the service
 * alone (the dashboard's and the alarm's percentiles over every channel) and
 * with the channel too (per channel). A single metric's own dimensions do not
 * mix with the invocation's counts.
 */
export function durationMetric(name: (typeof ServiceLevelMetric)[keyof typeof ServiceLevelMetric], ms: number, channelId: string): void {
  metrics.singleMetric().addMetric(name, MetricUnit.Milliseconds, ms);
  const perChannel = metrics.singleMetric();
  perChannel.addDimension(CHANNEL_DIMENSION, channelId);
  perChannel.addMetric(name, MetricUnit.Milliseconds, ms);
}
