import { cardJob, type JobOf } from './delivery/jobs';
import type { Notice, PressUnchanged } from './notices';
import type { AgentAction, Handoff, HandoffStore, JobQueue, Log, ServiceLevels } from './ports';
import { remindWhileWaiting, type ReminderSettings } from './reminders';
import { settleLoggingFailures } from '../platform/logger';

export interface AgentControlDependencies {
  readonly store: Pick<HandoffStore, 'assignAgent' | 'reassignAgent' | 'unassignAgent' | 'close' | 'reopen' | 'findByThread'>;
  readonly queue: JobQueue;
  readonly logger: Log;
  readonly serviceLevels: ServiceLevels;
  readonly reminders: ReminderSettings;
}

/** The change made; or, when there was none, what to tell whoever pressed. */
export type AgentActionOutcome = 'claimed' | 'released' | 'taken-over' | 'resolved' | { readonly unchanged: Extract<Notice, { kind: 'press-changed-nothing' }> };

/** A change to the handoff, and how to take it back should the bot not hear of it. */
interface Change {
  readonly handoff: Handoff;
  readonly undo: () => Promise<unknown>;
}

/**
 * Claim, Release, Take over or Resolve, pressed by an agent on a handoff card.
 *
 * The state change is a conditional write, so of any number of presses (one
 * agent twice, two agents at once, a take-over racing a release) exactly one
 * changes each state, and only that one queues what follows: the event for
 * the bot (an assignment, or the end; a release the hitl interface cannot
 * carry) and the card's update. The bot hears in the conversation's order,
 * after the replies the agent sent before pressing. Should the queue not
 * take the event, the change is undone and the press fails, so that the desk
 * shows the agent an error and pressing again works.
 */
export async function handleAgentAction(action: AgentAction, deps: AgentControlDependencies): Promise<AgentActionOutcome> {
  const { conversationId, threadTs } = action;
  const change = await applied(action, deps);
  if (!change) {
    const because = await whyUnchanged(action, deps);
    deps.logger.info('agent action changed nothing', { conversationId, kind: action.kind, state: because.state });
    return { unchanged: { kind: 'press-changed-nothing', action: action.kind, because } };
  }

  if (action.kind !== 'release') {
    const job: JobOf<'agent-action'> = {
      kind: 'agent-action',
      key: ['agent-action', action.kind, conversationId, threadTs, ...(action.kind === 'resolve' ? [] : [action.agentUserId, String(change.handoff.claimedAt)])],
      action: { ...action, kind: action.kind, ...(action.kind === 'resolve' ? {} : { claimedAt: change.handoff.claimedAt }) },
    };
    try {
      await deps.queue.enqueue(job);
    } catch (error) {
      deps.logger.error('could not queue an agent action; undoing it', { conversationId, kind: action.kind, error: error as Error });
      await change.undo();
      throw error;
    }
  }
  measure(change.handoff, deps.serviceLevels);
  // The bot will hear (or cannot be told), so the change stands even if the card cannot be queued: the next update renders it.
  await settleLoggingFailures(deps.logger, 'could not queue the card update', { conversationId }, [
    deps.queue.enqueue(cardJob(conversationId)),
    // Released: it waits again, and the reminders start over.
    ...(action.kind === 'release' ? [remindWhileWaiting(change.handoff, deps)] : []),
  ]);
  deps.logger.info('agent action applied', { conversationId, kind: action.kind });
  return OUTCOMES[action.kind];
}

const OUTCOMES = { claim: 'claimed', release: 'released', 'take-over': 'taken-over', resolve: 'resolved' } as const;

/** The press's conditional write; undefined when its condition did not hold. */
async function applied(action: AgentAction, deps: AgentControlDependencies): Promise<Change | undefined> {
  const { conversationId, threadTs, agentUserId: presser } = action;
  const { store } = deps;
  const change = (handoff: Handoff | undefined, undo: () => Promise<unknown>) => (handoff ? { handoff, undo } : undefined);
  switch (action.kind) {
    case 'claim':
      return change(await store.assignAgent(conversationId, threadTs, presser), () => unclaimed(action, deps));
    case 'release':
      // Nothing goes to the bot for a release, so nothing is ever undone.
      return change(await store.unassignAgent(conversationId, threadTs, presser), () => Promise.resolve());
    case 'take-over':
      return takenOver(action, deps);
    case 'resolve':
      return change(await store.close(conversationId, threadTs, { by: presser, reason: 'resolved' }), () => store.reopen(conversationId, threadTs, presser));
  }
}

/** Undoes a claim: unclaimed again, it waits anew, and its reminders start over (the round the claim ended is over). */
async function unclaimed(action: AgentAction, deps: AgentControlDependencies): Promise<void> {
  const handoff = await deps.store.unassignAgent(action.conversationId, action.threadTs, action.agentUserId);
  if (handoff) await remindWhileWaiting(handoff, deps);
}

/** The service levels a change completes: the handoff's first assignment (not a take-over, nor a claim after a release), its close. */
function measure(handoff: Handoff, serviceLevels: ServiceLevels): void {
  const where = { channelId: handoff.channelId };
  if (handoff.state === 'closed' && handoff.closedAt !== undefined) serviceLevels.record('time-to-resolve', handoff.closedAt - handoff.openedAt, where);
  else if (handoff.claimedAt !== undefined && handoff.firstClaimedAt === handoff.claimedAt) serviceLevels.record('time-to-claim', handoff.claimedAt - handoff.openedAt, where);
}

/** How often a Take over looks again when the handoff changed under it (its holder released it, or another took it). */
const TAKE_OVER_TRIES = 3;

/** From whoever has the handoff as the press finds it; if nobody has (a release just went through), it is a claim. */
async function takenOver(action: AgentAction, deps: AgentControlDependencies): Promise<Change | undefined> {
  const { conversationId, threadTs, agentUserId: presser } = action;
  const { store } = deps;
  for (let attempt = 0; attempt < TAKE_OVER_TRIES; attempt += 1) {
    const current = await store.findByThread(action.channelId, threadTs);
    if (current?.conversationId !== conversationId || current.state !== 'open') return undefined;
    const holder = current.claimedBy;
    if (holder === presser) return undefined;
    const handoff = holder === undefined ? await store.assignAgent(conversationId, threadTs, presser) : await store.reassignAgent(conversationId, threadTs, holder, presser);
    if (handoff) {
      return { handoff, undo: () => (holder === undefined ? unclaimed(action, deps) : store.reassignAgent(conversationId, threadTs, presser, holder)) };
    }
  }
  return undefined;
}

/** The handoff as the press found it; one read, made only when a press changed nothing. */
async function whyUnchanged(action: AgentAction, deps: AgentControlDependencies): Promise<PressUnchanged> {
  const handoff = await deps.store.findByThread(action.channelId, action.threadTs);
  if (!handoff || handoff.conversationId !== action.conversationId) return { state: 'ended' };
  if (handoff.state === 'closed') return handoff.closedReason === 'resolved' ? { state: 'resolved', agentUserId: handoff.closedBy } : { state: 'ended' };
  if (handoff.claimedBy) return { state: 'claimed', agentUserId: handoff.claimedBy, byYou: handoff.claimedBy === action.agentUserId };
  // A Release of a handoff nobody has; for the others, open and unclaimed, yet the write's condition failed: it changed between the write and this read.
  return action.kind === 'release' ? { state: 'unclaimed' } : { state: 'changing' };
}
