import type { Performer } from './performer';
import { CardNotPosted, postCardAndOpen } from '../handoffs';

/** A card the desk could not take when the bot asked: posted now, and the handoff opens on its thread. */
export const openQueuedThread: Performer<'open-thread'> = async (job, progress, deps) => {
  // Only the reservation this job was queued with may open the thread: one that lapsed and was taken over opens its own.
  if ((await deps.store.reservationOf(job.conversationId)) !== job.reservation) {
    const current = await deps.store.findByConversation(job.conversationId);
    return current?.state === 'open' ? { outcome: 'duplicate' } : { outcome: 'dropped', reason: 'the reservation is no longer this job’s' };
  }
  try {
    // The transcript was queued with this job, behind it: it follows the card.
    await postCardAndOpen(job.request, job.reservation, deps, { transcriptFirst: false, lookSince: progress.lookSince });
  } catch (error) {
    throw error instanceof CardNotPosted ? error.cause : error;
  }
  return { outcome: 'delivered' };
};
