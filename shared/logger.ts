import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The bridge's one logger: structured JSON, level from POWERTOOLS_LOG_LEVEL.
 * Message text from customers and agents is never passed to it; log ids,
 * lengths and outcomes instead.
 */
export const logger = new Logger({ serviceName: 'botpress-slack-hitl' });
