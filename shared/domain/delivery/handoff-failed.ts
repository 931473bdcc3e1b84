import type { Performer } from './performer';

/** The bot hears that a queued handoff never reached the desk: nobody will answer, and the customer should hear so. */
export const reportHandoffFailed: Performer<'handoff-failed'> = async (job, _progress, deps) => {
  await deps.bot.send({ type: 'handoff_failed', eventId: JSON.stringify(job.key), conversationId: job.conversationId });
  return { outcome: 'delivered' };
};
