import { handoffOnceOpen, type Performer } from './performer';

/** The thread's first posts: the summary the card had to shorten, whole, then the transcript's newest lines. */
export const postThreadIntro: Performer<'thread-intro'> = async (job, progress, deps) => {
  // Queued just before the handoff was stored as open: its thread is a moment away.
  const handoff = await handoffOnceOpen(job.conversationId, deps);
  const forThisThread = handoff && (job.threadTs === undefined || (handoff.channelId === job.channelId && handoff.threadTs === job.threadTs));
  if (!handoff || !forThisThread) return { outcome: 'dropped', reason: 'the handoff’s thread is gone' };
  await deps.desk.postInThread(handoff, { kind: 'intro', intro: { summary: job.summary, transcript: job.transcript, omittedLines: job.omittedLines } }, progress);
  return { outcome: 'delivered' };
};
