import type { ServiceLevelMeasure, ServiceLevels } from '../domain/ports';
import type { Log } from '../platform/logger';
import { ServiceLevelMetric } from '../platform/metric-names';
import { durationMetric } from '../platform/metrics';

const METRIC_OF: Readonly<Record<ServiceLevelMeasure, (typeof ServiceLevelMetric)[keyof typeof ServiceLevelMetric]>> = {
  'time-to-claim': ServiceLevelMetric.TimeToClaim,
  'time-to-first-reply': ServiceLevelMetric.TimeToFirstReply,
  'time-to-resolve': ServiceLevelMetric.TimeToResolve,
};

/**
 * The service levels as CloudWatch metrics (embedded metric format, which the
 * dashboard's percentiles and the time-to-claim alarm read) and as a log line,
 * which `npm start` prints too (its metrics are off there).
 */
export function cloudWatchServiceLevels(logger: Pick<Log, 'info'>): ServiceLevels {
  return {
    record(measure, ms, where) {
      durationMetric(METRIC_OF[measure], ms, where.channelId);
      logger.info('service level', { measure, ms, channelId: where.channelId });
    },
  };
}
