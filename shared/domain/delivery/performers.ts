import type { DeliveryJob } from './jobs';
import type { PartProgress } from '../ports';
import type { JobDependencies, JobResult } from './performer';
import { sendAgentAction } from './agent-action';
import { sendAgentReply } from './agent-reply';
import { updateCard } from './card';
import { postCustomerMessage } from './customer-message';
import { reportCustomerMessageFailed } from './customer-message-failed';
import { reportHandoffFailed } from './handoff-failed';
import { postNote } from './note';
import { openQueuedThread } from './open-thread';
import { tellAgentPrivately } from './private-notice';
import { postThreadIntro } from './thread-intro';
import { markKeptInternal } from './kept-internal';
import { postReminder } from './reminder';
import { showQueueView } from './home-view';

/** One file per job kind; the switch is exhaustive (lint), so a new kind cannot go unperformed. */
export function performJob(job: DeliveryJob, progress: PartProgress, deps: JobDependencies): Promise<JobResult> {
  switch (job.kind) {
    case 'agent-reply':
      return sendAgentReply(job, progress, deps);
    case 'agent-action':
      return sendAgentAction(job, progress, deps);
    case 'customer-message-failed':
      return reportCustomerMessageFailed(job, progress, deps);
    case 'handoff-failed':
      return reportHandoffFailed(job, progress, deps);
    case 'open-thread':
      return openQueuedThread(job, progress, deps);
    case 'thread-intro':
      return postThreadIntro(job, progress, deps);
    case 'customer-message':
      return postCustomerMessage(job, progress, deps);
    case 'card':
      return updateCard(job, progress, deps);
    case 'note':
      return postNote(job, progress, deps);
    case 'private-notice':
      return tellAgentPrivately(job, progress, deps);
    case 'kept-internal':
      return markKeptInternal(job, progress, deps);
    case 'reminder':
      return postReminder(job, progress, deps);
    case 'home-view':
      return showQueueView(job, progress, deps);
  }
}
