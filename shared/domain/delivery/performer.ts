import { HandoffStillOpening, type DeliveryJob, type JobOf } from './jobs';
import type { DeliveryFiles } from '../files/agent-files';
import { settledHandoff } from '../handoffs';
import type { ReminderSettings } from '../reminders';
import type { BotChannel, Clock, DeliveryLedger, Handoff, HandoffStore, JobQueue, Log, PartProgress, ServiceLevels, SupportDesk } from '../ports';

/* What each job kind's file implements (performers.ts picks one by kind). */

/** What performing any job may need; each performer takes the part it uses. */
export interface JobDependencies {
  readonly store: Pick<HandoffStore, 'findByConversation' | 'findThreadOf' | 'touch' | 'reservationOf' | 'activate' | 'abandon' | 'markFirstReply' | 'openHandoffs'>;
  readonly ledger: Pick<DeliveryLedger, 'stateOf'>;
  readonly queue: JobQueue;
  readonly desk: SupportDesk;
  readonly bot: BotChannel;
  readonly logger: Log;
  readonly serviceLevels: ServiceLevels;
  readonly reminders: ReminderSettings;
  /** The channel handoffs open in, unless their queue has one of its own (queueChannels). */
  readonly supportChannelId: string;
  readonly queueChannels: ReadonlyMap<string, string>;
  readonly files: DeliveryFiles;
  readonly now?: Clock | undefined;
  /** How long a job waits, in the attempt, for a handoff whose card is being posted to open (handoffOnceOpen). */
  readonly openingWaitMs?: number | undefined;
}

export type JobResult =
  | { readonly outcome: 'delivered' | 'duplicate' }
  /** Nothing left to do: the handoff the job was for is gone (a card update for an expired handoff). */
  | { readonly outcome: 'dropped'; readonly reason: string };

/** A job kind's work; `progress` counts the posts a job of several has made, across attempts. */
export type Performer<K extends DeliveryJob['kind']> = (job: JobOf<K>, progress: PartProgress, deps: JobDependencies) => Promise<JobResult>;

/**
 * The conversation's handoff, once the request posting its card has stored it
 * (a job queued just before that runs a moment early): waited for briefly in
 * the attempt, then HandoffStillOpening, to be tried again with the usual
 * backoff rather than dropped.
 */
export async function handoffOnceOpen(conversationId: string, deps: Pick<JobDependencies, 'store' | 'openingWaitMs'>): Promise<Handoff | undefined> {
  const handoff = await settledHandoff(conversationId, deps, deps.openingWaitMs ?? 1_500);
  if (handoff?.state === 'opening') throw new HandoffStillOpening('the handoff is still opening');
  return handoff;
}
