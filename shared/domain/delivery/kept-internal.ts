import type { Performer } from './performer';
import { PermanentDownstreamError } from '../../platform/errors';

/**
 * An agent's message that stayed on the desk: the kept-internal mark on it,
 * which everyone in the thread sees, and a private word to its writer where
 * there is more to say. Where the desk will not take the mark (a refusal for
 * good, such as a permission the app lacks), the writer is told privately
 * instead, so that they learn either way that the customer did not get it.
 */
export const markKeptInternal: Performer<'kept-internal'> = async (job, _progress, deps) => {
  let marked = false;
  if (job.mark) {
    try {
      await deps.desk.react({ channelId: job.channelId, messageTs: job.messageTs }, 'kept-internal');
      marked = true;
    } catch (error) {
      if (!(error instanceof PermanentDownstreamError)) throw error;
      deps.logger.warn('could not mark an internal note; its writer is told privately', { channelId: job.channelId, messageTs: job.messageTs, error });
    }
  }
  const notice = job.notice ?? (job.mark && !marked ? 'note-kept' : undefined);
  if (notice) await deps.desk.tellPrivately(job, job.userId, { kind: notice });
  return { outcome: 'delivered' };
};
