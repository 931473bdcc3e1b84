import type { Performer } from './performer';
import { QUEUE_VIEW_LIMIT } from '../queue-view';

/** The open handoffs, as they are now, to the agent who opened the queue view. */
export const showQueueView: Performer<'home-view'> = async (job, _progress, deps) => {
  const queue = await deps.store.openHandoffs(QUEUE_VIEW_LIMIT);
  await deps.desk.showQueue(job.userId, queue);
  return { outcome: 'delivered' };
};
