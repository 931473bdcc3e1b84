import type { Performer } from './performer';

/** A card update, shown from the handoff as it is now: however many updates are queued, the last one shows the truth. */
export const updateCard: Performer<'card'> = async (job, _progress, deps) => {
  const handoff = await deps.store.findThreadOf(job.conversationId);
  if (!handoff) return { outcome: 'dropped', reason: 'the handoff is gone' };
  await deps.desk.updateCard(handoff, handoff);
  return { outcome: 'delivered' };
};
