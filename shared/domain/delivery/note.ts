import type { Performer } from './performer';

/** A note in a handoff's thread for everyone there (resolved, ended). */
export const postNote: Performer<'note'> = async (job, _progress, deps) => {
  await deps.desk.postInThread(job, { kind: 'notice', notice: job.notice });
  return { outcome: 'delivered' };
};
