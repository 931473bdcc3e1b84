import { cardJob } from './delivery/jobs';
import type { Notice, PressUnchanged } from './notices';
import type { AgentAction, HandoffStore, JobQueue, Log } from './ports';
import { settleLoggingFailures } from '../platform/logger';

export interface AgentControlDependencies {
  readonly store: Pick<HandoffStore, 'assignAgent' | 'unassignAgent' | 'close' | 'reopen' | 'findByThread'>;
  readonly queue: JobQueue;
  readonly logger: Log;
}

/** The change made; or, when there was none, what to tell whoever pressed. */
export type AgentActionOutcome = 'claimed' | 'resolved' | { readonly unchanged: Extract<Notice, { kind: 'press-changed-nothing' }> };

/**
 * Claim or Resolve, pressed by an agent on a handoff card.
 *
 * The state change is a conditional write, so of any number of presses (one
 * agent twice, two agents at once) exactly one changes the state, and only
 * that one queues the event for the bot and the card's update. The bot
 * hears in the conversation's order, after the replies the agent sent before
 * pressing; the card changes as soon as the delivery function runs. Should
 * the queue not take the event, the change is undone and the press fails, so
 * that the desk shows the agent an error and pressing again works.
 */
export async function handleAgentAction(action: AgentAction, deps: AgentControlDependencies): Promise<AgentActionOutcome> {
  const { conversationId, threadTs, agentUserId } = action;
  const changed =
    action.kind === 'claim'
      ? await deps.store.assignAgent(conversationId, threadTs, agentUserId)
      : await deps.store.close(conversationId, threadTs, { by: agentUserId, reason: 'resolved' });
  if (!changed) {
    const because = await whyUnchanged(action, deps);
    deps.logger.info('agent action changed nothing', { conversationId, kind: action.kind, state: because.state });
    return { unchanged: { kind: 'press-changed-nothing', action: action.kind, because } };
  }

  try {
    await deps.queue.enqueue({ kind: 'agent-action', key: ['agent-action', action.kind, conversationId, threadTs], action });
  } catch (error) {
    deps.logger.error('could not queue an agent action; undoing it', { conversationId, kind: action.kind, error: error as Error });
    await (action.kind === 'claim' ? deps.store.unassignAgent(conversationId, threadTs, agentUserId) : deps.store.reopen(conversationId, threadTs, agentUserId));
    throw error;
  }
  // The bot will hear, so the change stands even if the card cannot be queued: the next update renders it.
  await settleLoggingFailures(deps.logger, 'could not queue the card update', { conversationId }, [deps.queue.enqueue(cardJob(conversationId))]);
  deps.logger.info('agent action applied', { conversationId, kind: action.kind });
  return action.kind === 'claim' ? 'claimed' : 'resolved';
}

/** The handoff as the press found it; one read, made only when a press changed nothing. */
async function whyUnchanged(action: AgentAction, deps: AgentControlDependencies): Promise<PressUnchanged> {
  const handoff = await deps.store.findByThread(action.channelId, action.threadTs);
  if (!handoff || handoff.conversationId !== action.conversationId) return { state: 'ended' };
  if (handoff.state === 'closed') return handoff.closedReason === 'resolved' ? { state: 'resolved', agentUserId: handoff.closedBy } : { state: 'ended' };
  if (handoff.claimedBy) return { state: 'claimed', agentUserId: handoff.claimedBy, byYou: handoff.claimedBy === action.agentUserId };
  // Open and unclaimed, yet the write's condition failed: it changed between the write and this read.
  return { state: 'changing' };
}
