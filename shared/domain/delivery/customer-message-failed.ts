import type { Performer } from './performer';
import { FILE_LIMITS } from '../files/policy';

/** The bot hears that a customer's message, or one of its files, did not reach the agents, so that the customer can be told. */
export const reportCustomerMessageFailed: Performer<'customer-message-failed'> = async (job, _progress, deps) => {
  await deps.bot.send({
    type: 'customer_message_failed',
    eventId: JSON.stringify(job.key),
    conversationId: job.conversationId,
    ...(job.messageId ? { messageId: job.messageId } : {}),
    ...(job.file ? { fileName: job.file.name, reason: job.file.reason === 'too_large' ? 'file_too_large' : 'file_unreachable', maxFileBytes: FILE_LIMITS.maxBytes } : {}),
  });
  return { outcome: 'delivered' };
};
