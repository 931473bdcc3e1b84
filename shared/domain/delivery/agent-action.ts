import { noteJob } from './jobs';
import type { Performer } from './performer';
import type { BotEvent } from '../bot-events';
import { settleLoggingFailures } from '../../platform/logger';

/**
 * Claim or Take over (the handoff's new agent) or Resolve, to the bot; a
 * Resolve's note in the thread once the bot has heard. Each assignment is an
 * event of its own: the same agent may claim again after a release.
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
  if (action.kind === 'resolve') {
    // Said in the thread only now that it is true.
    await settleLoggingFailures(deps.logger, 'could not queue the resolved note', { conversationId: action.conversationId }, [
      deps.queue.enqueue(noteJob(action, { kind: 'resolved', agentUserId: action.agentUserId })),
    ]);
  }
  deps.logger.info('agent action delivered', { conversationId: action.conversationId, kind: action.kind });
  return { outcome: 'delivered' };
};
