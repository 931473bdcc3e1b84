import { agentReplyKey, type JobOf } from './jobs';
import type { Performer } from './performer';
import { EARLIER_MARKER, EDITED_MARKER, type AgentMessageEvent, type SentFile } from '../bot-events';
import { rehostAgentFiles } from '../files/agent-files';
import { dedupeKey, type AgentReply, type Person } from '../ports';
import { settleLoggingFailures } from '../../platform/logger';

/** An agent's reply, to the bot: its text as plain text, its files behind links; or, of a deletion, a word to the agent. */
export const sendAgentReply: Performer<'agent-reply'> = async (job, progress, deps) => {
  const { reply } = job;
  if (reply.revision?.kind === 'deleted') return answerDeletion(job, deps);
  const { text, agent } = await deps.desk.readReply(reply);
  // Files first: a failure there (the desk or the file store down) retries the reply before any of it reached the customer.
  const { sent, refused } = reply.files?.length ? await rehostAgentFiles(reply.files, progress, { desk: deps.desk, files: deps.files, now: deps.now }) : { sent: [], refused: [] };
  // A reply the desk delivered again may come after ones written later: if so, marked, so that it reads as written first.
  // Only such a reply is asked about, and should the desk not answer, it goes unmarked rather than late.
  const earlier = reply.resent && !reply.revision ? await deps.desk.writtenAfter(reply).catch(() => false) : false;
  const event = agentMessage(reply, job.conversationId, text, agent, sent, earlier);
  if (event.text !== '' || sent.length > 0) await deps.bot.send(event);
  // The customer has it: the first such reply of the handoff is its time to first reply. Never a reason to send it again.
  if (job.firstReply) await settleLoggingFailures(deps.logger, 'could not note the first reply', { eventId: reply.eventId }, [firstReplyNoted(job, deps)]);
  if (refused.length > 0) {
    // Once the rest went out: the agent hears, privately, which files the customer did not get and why.
    await settleLoggingFailures(deps.logger, 'could not tell the agent about files not sent', { eventId: reply.eventId }, [
      deps.desk.tellPrivately(reply, reply.userId, { kind: 'files-not-sent', files: refused }),
    ]);
  }
  deps.logger.info('agent reply delivered', {
    eventId: reply.eventId,
    conversationId: job.conversationId,
    messageTs: reply.messageTs,
    textLength: reply.markup.length,
    ...(reply.files?.length ? { filesSent: sent.length, filesRefused: refused.length } : {}),
  });
  return { outcome: 'delivered' };
};

async function firstReplyNoted(job: JobOf<'agent-reply'>, deps: Parameters<Performer<'agent-reply'>>[2]): Promise<void> {
  const handoff = await deps.store.markFirstReply(job.conversationId, job.reply.threadTs);
  if (handoff?.firstReplyAt !== undefined) deps.serviceLevels.record('time-to-first-reply', handoff.firstReplyAt - handoff.openedAt, { channelId: handoff.channelId });
}

/** The normalised reply the bot gets: `{ text, userId, channelId, threadTs, conversationId }` and what goes with it. */
export function agentMessage(reply: AgentReply, conversationId: string, text: string, agent: Person, files: readonly SentFile[] = [], earlier = false): AgentMessageEvent {
  const edited = reply.revision?.kind === 'edited';
  const marker = edited ? EDITED_MARKER : earlier ? EARLIER_MARKER : undefined;
  return {
    type: 'agent_message',
    eventId: edited ? `${reply.channelId}:${reply.messageTs}:edited:${reply.revision.at}` : `${reply.channelId}:${reply.messageTs}`,
    text: marker && text !== '' ? `${marker} ${text}` : text,
    userId: reply.userId,
    channelId: reply.channelId,
    threadTs: reply.threadTs,
    conversationId,
    messageTs: reply.messageTs,
    ...(agent.name ? { agentName: agent.name } : {}),
    ...(agent.pictureUrl ? { agentPictureUrl: agent.pictureUrl } : {}),
    ...(edited ? { edited: true as const } : {}),
    ...(earlier && !edited ? { earlier: true as const } : {}),
    ...(files.length > 0 ? { files } : {}),
  };
}

/**
 * Queued behind the reply it deletes, so that reply has been delivered or
 * given up by now: the agent hears the customer still has it, unless it was
 * lost (of which the agent was told already). A ledger record past its day
 * says nothing: then it was delivered long ago.
 */
async function answerDeletion(job: JobOf<'agent-reply'>, deps: Parameters<Performer<'agent-reply'>>[2]) {
  const { reply } = job;
  const original = await deps.ledger.stateOf(dedupeKey(...agentReplyKey({ channelId: reply.channelId, messageTs: reply.messageTs })));
  if (original !== undefined && original !== 'done') return { outcome: 'dropped', reason: 'the deleted reply never reached the customer' } as const;
  await deps.desk.tellPrivately(reply, reply.userId, { kind: 'deleted-reply-kept' });
  return { outcome: 'delivered' } as const;
}
