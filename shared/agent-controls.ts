import type { Logger } from '@aws-lambda-powertools/logger';
import type { BotpressEvent, BotpressSender } from './botpress-client';
import { noteInThread } from './handoffs';
import { callSlack, type SlackClient, type UserDirectory } from './slack/client';
import type { AgentAction } from './slack/interactions';
import type { Handoff, ThreadStore } from './thread-store';

export interface AgentControlDependencies {
  readonly store: Pick<ThreadStore, 'assignAgent' | 'unassignAgent' | 'close' | 'reopen'>;
  readonly slack: () => Promise<SlackClient>;
  readonly users: Pick<UserDirectory, 'displayName'>;
  readonly sendToBotpress: BotpressSender;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export type AgentActionOutcome = 'claimed' | 'resolved' | 'unchanged' | 'bot_unreachable';

export const BOT_UNREACHABLE_NOTICE = 'The bot could not be reached, so nothing changed. Please press the button again in a moment.';

/**
 * Claim or Resolve, pressed by an agent on a handoff card.
 *
 * The state change is a conditional write, so of any number of presses (one
 * agent twice, two agents at once) exactly one changes the state, and only
 * that one tells Botpress. If Botpress cannot be told, the change is undone,
 * the card is shown as it was again and the agent is asked to press again:
 * the card does not go on claiming something the bot does not know.
 */
export async function handleAgentAction(action: AgentAction, deps: AgentControlDependencies): Promise<AgentActionOutcome> {
  const { conversationId, threadTs, agentUserId } = action;
  // The name depends on nothing else: looked up while the state changes, not after (Slack waits 3 s).
  const agentName = action.kind === 'claim' ? lookUpName(action, deps) : Promise.resolve(undefined);
  const changed =
    action.kind === 'claim'
      ? await deps.store.assignAgent(conversationId, threadTs, agentUserId)
      : await deps.store.close(conversationId, threadTs, { by: agentUserId, reason: 'resolved' });
  if (!changed) {
    deps.logger.info('agent action changed nothing', { conversationId, kind: action.kind });
    return 'unchanged';
  }

  // The card shows the change while Botpress hears of it, not after: one after the other, the name, Botpress
  // and Slack could take 3.5 s of the 3 Slack gives the press. Should Botpress not hear of it, both are undone.
  const cardShown = noteInThread(changed, undefined, deps);
  try {
    await deps.sendToBotpress(botpressEventFor(action, changed, await agentName));
  } catch (error) {
    deps.logger.error('could not tell Botpress about an agent action; undoing it', { conversationId, kind: action.kind, error: error as Error });
    const [undone] = await Promise.allSettled([
      action.kind === 'claim' ? deps.store.unassignAgent(conversationId, threadTs, agentUserId) : deps.store.reopen(conversationId, threadTs, agentUserId),
      // The card is shown as it was only once the first update has landed: two in flight could land in either order.
      cardShown,
    ]);
    if (undone.status === 'rejected') throw undone.reason as Error;
    await Promise.all([undone.value ? noteInThread(undone.value, undefined, deps) : undefined, tellAgent(action, BOT_UNREACHABLE_NOTICE, deps)]);
    return 'bot_unreachable';
  }

  await Promise.all([
    cardShown,
    // Said in the thread only now that it is true.
    action.kind === 'resolve'
      ? noteInThread(changed, `:white_check_mark: <@${agentUserId}> resolved this handoff; the bot has taken the conversation back.`, deps, { card: false })
      : undefined,
  ]);
  deps.logger.info('agent action applied', { conversationId, kind: action.kind });
  return action.kind === 'claim' ? 'claimed' : 'resolved';
}

function botpressEventFor(action: AgentAction, handoff: Handoff, agentName: string | undefined): BotpressEvent {
  const common = { conversationId: handoff.conversationId, userId: action.agentUserId, channelId: handoff.channelId, threadTs: handoff.threadTs };
  if (action.kind === 'resolve') return { type: 'handoff_resolved', ...common };
  return { type: 'agent_assigned', ...common, ...(agentName ? { agentName } : {}) };
}

/** The name is a nicety; the assignment matters, so a failed lookup is no name. */
async function lookUpName(action: AgentAction, deps: AgentControlDependencies): Promise<string | undefined> {
  try {
    return await deps.users.displayName(await deps.slack(), action.agentUserId);
  } catch {
    return undefined;
  }
}

async function tellAgent(action: AgentAction, text: string, deps: AgentControlDependencies): Promise<void> {
  try {
    const slack = await deps.slack();
    await callSlack('chat.postEphemeral', () => slack.chat.postEphemeral({ channel: action.channelId, user: action.agentUserId, thread_ts: action.threadTs, text }));
  } catch (error) {
    deps.logger.error('could not tell the agent', { conversationId: action.conversationId, error: error as Error });
  }
}
