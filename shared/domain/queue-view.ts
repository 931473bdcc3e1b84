import type { JobQueue, Log } from './ports';

/*
 * The queue view: an agent starting a shift sees which handoffs are open,
 * oldest first, how long each has waited and who has which (Slack: the app's
 * Home tab, shown when they open it). It goes through the delivery queue like
 * every other post to the desk, so that a refusal or a rate limit is retried,
 * never lost, and holds up no conversation.
 */

/** How many open handoffs the view lists: a screenful, oldest first, and a count of the rest. */
export const QUEUE_VIEW_LIMIT = 40;

/** An agent opened the queue view: queued, once per opening however often the desk sends it. */
export async function showOpenQueue(opened: { readonly userId: string; readonly eventId: string }, deps: { readonly queue: JobQueue; readonly logger: Log }): Promise<void> {
  await deps.queue.enqueue({ kind: 'home-view', key: ['home-view', opened.userId, opened.eventId], userId: opened.userId });
  deps.logger.info('queue view asked for', { userId: opened.userId, eventId: opened.eventId });
}
