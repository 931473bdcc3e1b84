import { cardJob } from './delivery/jobs';
import type { AgentAction, HandoffStore, JobQueue, Log } from './ports';
import { settleLoggingFailures } from '../platform/logger';

export interface AgentControlDependencies {
  readonly store: Pick<HandoffStore, 'assignAgent' | 'unassignAgent' | 'close' | 'reopen'>;
  readonly queue: JobQueue;
  readonly logger: Log;
}

export type AgentActionOutcome = 'claimed' | 'resolved' | 'unchanged';

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
    deps.logger.info('agent action changed nothing', { conversationId, kind: action.kind });
    return 'unchanged';
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
