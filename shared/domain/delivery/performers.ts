import type { DeliveryJob, JobOf } from './jobs';
import type { DeliveryFiles } from '../files/agent-files';
import type { BotChannel, Clock, DeliveryLedger, HandoffStore, JobQueue, Log, PartProgress, SupportDesk } from '../ports';
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

/** What performing any job may need; each performer takes the part it uses. */
export interface JobDependencies {
  readonly store: Pick<HandoffStore, 'findByConversation' | 'findThreadOf' | 'touch' | 'reservationOf' | 'activate' | 'abandon'>;
  readonly ledger: Pick<DeliveryLedger, 'stateOf'>;
  readonly queue: JobQueue;
  readonly desk: SupportDesk;
  readonly bot: BotChannel;
  readonly logger: Log;
  /** The channel handoffs open in. */
  readonly supportChannelId: string;
  readonly files: DeliveryFiles;
  readonly now?: Clock | undefined;
}

export type JobResult =
  | { readonly outcome: 'delivered' | 'duplicate' }
  /** Nothing left to do: the handoff the job was for is gone (a card update for an expired handoff). */
  | { readonly outcome: 'dropped'; readonly reason: string };

/** A job kind's work; `progress` counts the posts a job of several has made, across attempts. */
export type Performer<K extends DeliveryJob['kind']> = (job: JobOf<K>, progress: PartProgress, deps: JobDependencies) => Promise<JobResult>;

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
  }
}
