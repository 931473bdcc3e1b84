import type { Performer } from './performer';
import type { CustomerMessageFailedEvent } from '../bot-events';
import { FILE_LIMITS, type MissingFileReason } from '../files/policy';

/** What the customer is told about a file, which decides whether sending it again may help. */
const BOT_REASON: Readonly<Record<MissingFileReason, NonNullable<CustomerMessageFailedEvent['reason']>>> = {
  too_large: 'file_too_large',
  unreachable: 'file_unreachable',
  no_answer: 'file_unreachable',
  uploads_disabled: 'file_not_accepted',
  too_large_for_desk: 'file_not_accepted',
  type_not_allowed: 'file_not_accepted',
};

/** The bot hears that a customer's message, or one of its files, did not reach the agents, so that the customer can be told. */
export const reportCustomerMessageFailed: Performer<'customer-message-failed'> = async (job, _progress, deps) => {
  await deps.bot.send({
    type: 'customer_message_failed',
    eventId: JSON.stringify(job.key),
    conversationId: job.conversationId,
    ...(job.messageId ? { messageId: job.messageId } : {}),
    ...(job.file ? { fileName: job.file.name, reason: BOT_REASON[job.file.reason], maxFileBytes: FILE_LIMITS.maxBytes } : {}),
  });
  return { outcome: 'delivered' };
};
