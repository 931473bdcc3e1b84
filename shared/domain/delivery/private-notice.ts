import type { Performer } from './performer';

/** A word to one agent only, in the thread they wrote in. */
export const tellAgentPrivately: Performer<'private-notice'> = async (job, _progress, deps) => {
  await deps.desk.tellPrivately(job, job.userId, job.notice);
  return { outcome: 'delivered' };
};
