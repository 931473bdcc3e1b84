import type { Performer } from './performer';
import type { BotEvent } from '../bot-events';

/**
 * Claim or Take over (the handoff's new agent) or Resolve, to the bot. Each
 * assignment is an event of its own: the same agent may claim again after a
 * release. A Resolve posts nothing in the thread: the card says it (one post
 * to Slack fewer per handoff, on a channel Slack paces at one a second), and a
 * Resolve the bot never heard of gets the lost notice there.
 */
export const sendAgentAction: Performer<'agent-action'> = async (job, _progress, deps) => {
  const { action } = job;
  const common = { conversationId: action.conversationId, userId: action.agentUserId, channelId: action.channelId, threadTs: action.threadTs };
  let event: BotEvent;
  if (action.kind !== 'resolve') {
    const agent = await deps.desk.person(action.agentUserId);
    event = {
      type: 'agent_assigned',
      eventId: `claim:${action.channelId}:${action.threadTs}${action.claimedAt === undefined ? '' : `:${action.agentUserId}:${action.claimedAt}`}`,
      ...common,
      ...(agent.name ? { agentName: agent.name } : {}),
      ...(agent.pictureUrl ? { agentPictureUrl: agent.pictureUrl } : {}),
    };
  } else {
    event = { type: 'handoff_resolved', eventId: `resolve:${action.channelId}:${action.threadTs}`, ...common };
  }
  await deps.bot.send(event);
  deps.logger.info('agent action delivered', { conversationId: action.conversationId, kind: action.kind });
  return { outcome: 'delivered' };
};
