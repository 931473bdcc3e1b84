import { createHash } from 'node:crypto';
import type { Reaction, SupportDesk, ThreadPost } from '../domain/ports';
import { DownstreamError, PermanentDownstreamError } from '../platform/errors';
import { paceInMemory, type PaceRule, type SharedPace } from '../platform/pace';
import type { Log } from '../platform/logger';
import { callSlack, type SlackClient } from './client';
import { describeSlackFile, readSlackFile, uploadToThread } from './files';
import { customerUsername, handoffCard, newestLinesThatFit, summaryInThread, transcriptText } from './render/cards';
import { splitEscaped } from './render/limits';
import { mentionedUserIds, slackMarkupToPlainText } from './render/markup';
import { queueView } from './render/home';
import { noticeText } from './render/notices';
import type { UserDirectory } from './users';

/*
 * The support desk on Slack: the one place that knows the Web API's methods,
 * what they answer, Slack's limits and markup, and its pace. The domain asks
 * in its own words (shared/domain/ports.ts); each answer comes back as a
 * domain value or the platform's error family (client.ts, callSlack).
 */

export interface SlackDeskOptions {
  /** The client for the current bot token. */
  readonly slack: () => Promise<SlackClient>;
  readonly users: Pick<UserDirectory, 'profiles' | 'profile'>;
  readonly pacer: SlackPacer;
  /** The Web API's own origin when it is a stand-in: file downloads with the bot token go to Slack's file host or there only. */
  readonly slackApiUrl?: string | undefined;
  /** What starts an internal note: the card tells agents. */
  readonly notePrefixes?: readonly string[] | undefined;
  /** Whom a reminder mentions (a user group or `<!here>`), as configured and checked; none when absent. */
  readonly escalationMention?: string | undefined;
  readonly logger: Log;
}

/**
 * Each of the bridge's posts carries its id in Slack's message metadata
 * (https://docs.slack.dev/messaging/message-metadata), so that a post Slack
 * took without answering in time is found by the next attempt rather than
 * made twice. The id is a hash: the delivery's key can be long, and says
 * nothing anyone reading the channel needs to see.
 */
const POST_EVENT_TYPE = 'hitl_bridge_post';
const shortPostId = (postId: string): string => createHash('sha256').update(postId).digest('base64url').slice(0, 22);
const postMetadata = (postId: string) => ({ event_type: POST_EVENT_TYPE, event_payload: { post_id: postId } });

export function slackDesk(options: SlackDeskOptions): SupportDesk {
  const { slack, users, pacer, logger } = options;
  const call = async <T>(channelId: string, method: string, request: (client: SlackClient) => Promise<T>, holder?: string): Promise<T> => {
    const client = await slack();
    return pacer.call(channelId, method, () => request(client), holder);
  };

  /**
   * The bridge's posts in a thread (or, without one, in the channel) since a
   * moment, by the ids their metadata carry: what an attempt that heard no
   * answer may have posted. A minute before it, for the clocks' difference.
   */
  const postsSince = async (channelId: string, threadTs: string | undefined, sinceMs: number): Promise<ReadonlyMap<string, string>> => {
    const oldest = (Math.max(sinceMs - 60_000, 0) / 1000).toFixed(6);
    const options = { channel: channelId, oldest, include_all_metadata: true, limit: 200 };
    const { messages = [] } = threadTs
      ? await call(channelId, 'conversations.replies', (client) => client.conversations.replies({ ...options, ts: threadTs }))
      : await call(channelId, 'conversations.history', (client) => client.conversations.history(options));
    const posts = new Map<string, string>();
    for (const message of messages) {
      const payload = message.metadata?.event_type === POST_EVENT_TYPE ? (message.metadata.event_payload as Record<string, unknown> | undefined) : undefined;
      const postId = payload?.post_id;
      if (typeof postId === 'string' && message.ts) posts.set(postId, message.ts);
    }
    return posts;
  };

  // The workspace's URL, for links to threads: asked once (auth.test), kept while it answers.
  let workspaceUrl: Promise<string> | undefined;
  const workspaceUrlOf = (client: SlackClient): Promise<string> => {
    workspaceUrl ??= callSlack('auth.test', () => client.auth.test()).then(
      (answer) => answer.url ?? 'https://slack.com/',
      (error: unknown) => {
        workspaceUrl = undefined;
        throw error;
      },
    );
    return workspaceUrl;
  };

  return {
    async showQueue(userId, queue) {
      const client = await slack();
      const view = queueView(queue, await workspaceUrlOf(client), Date.now());
      await callSlack('views.publish', () => client.views.publish({ user_id: userId, view }));
    },

    async postCard(channelId, view, placement) {
      const postId = shortPostId(placement.postId);
      if (placement.lookSince !== undefined) {
        const found = (await postsSince(channelId, undefined, placement.lookSince)).get(postId);
        if (found) return { channelId, threadTs: found };
      }
      const card = handoffCard(view, options.notePrefixes);
      const posted = await call(
        channelId,
        'chat.postMessage',
        (client) => client.chat.postMessage({ channel: channelId, text: card.text, blocks: card.blocks, unfurl_links: false, metadata: postMetadata(postId) }),
        postId,
      );
      if (!posted.ts) throw new DownstreamError('slack', 'chat.postMessage answered without a ts');
      return { channelId, threadTs: posted.ts };
    },

    async updateCard(thread, view) {
      const card = handoffCard(view, options.notePrefixes);
      await call(thread.channelId, 'chat.update', (client) => client.chat.update({ channel: thread.channelId, ts: thread.threadTs, text: card.text, blocks: card.blocks }));
    },

    async removeCard(thread) {
      await call(thread.channelId, 'chat.delete', (client) => client.chat.delete({ channel: thread.channelId, ts: thread.threadTs }));
    },

    introFor(summary, transcript) {
      // Only the lines that can show are carried on: a queue message is at most 256 KiB, and a hundred long lines are more.
      const shown = newestLinesThatFit(transcript);
      const cut = summaryInThread(summary) !== undefined;
      if (shown.length === 0 && !cut) return undefined;
      return { ...(cut ? { summary } : {}), transcript: shown, omittedLines: transcript.length - shown.length };
    },

    partsIn(post) {
      return rendered(post).parts.length;
    },

    async postInThread(thread, post, progress = { partsDone: 0 }) {
      const client = await slack();
      const { parts, extra } = rendered(post, options.escalationMention);
      let found: ReadonlyMap<string, string> | undefined;
      if (progress.lookSince !== undefined) {
        found = await postsSince(thread.channelId, thread.threadTs, progress.lookSince);
        progress.lookSince = undefined;
      }
      let ts: string | undefined;
      for (let part = progress.partsDone; part < parts.length; part += 1) {
        const postId = progress.postId === undefined ? undefined : shortPostId(`${progress.postId}#${part}`);
        const earlier = postId === undefined ? undefined : found?.get(postId);
        if (earlier === undefined) {
          const posted = await pacer.call(
            thread.channelId,
            'chat.postMessage',
            () => client.chat.postMessage({ channel: thread.channelId, thread_ts: thread.threadTs, text: parts[part]!, ...extra, ...(postId ? { metadata: postMetadata(postId) } : {}) }),
            postId,
          );
          ts = posted.ts;
        } else {
          ts = earlier;
        }
        progress.partsDone += 1;
      }
      return ts;
    },

    async updateNotice(thread, noticeId, notice) {
      await call(thread.channelId, 'chat.update', (client) => client.chat.update({ channel: thread.channelId, ts: noticeId, text: noticeText(notice) }));
    },

    async react(message, reaction) {
      try {
        await call(message.channelId, 'reactions.add', (client) => client.reactions.add({ channel: message.channelId, timestamp: message.messageTs, name: REACTION_NAMES[reaction] }));
      } catch (error) {
        // Slack answers a reaction the message has already with an error; for the bridge it is done.
        if (!(error instanceof PermanentDownstreamError && error.code === 'already_reacted')) throw error;
      }
    },

    async tellPrivately(thread, userId, notice) {
      await call(thread.channelId, 'chat.postEphemeral', (client) =>
        client.chat.postEphemeral({ channel: thread.channelId, user: userId, thread_ts: thread.threadTs, text: noticeText(notice) }),
      );
    },

    async uploadFile(thread, file) {
      return uploadToThread(await slack(), thread, file, (method, request) => pacer.call(thread.channelId, method, request));
    },

    async writtenAfter(reply) {
      const { messages = [] } = await call(reply.channelId, 'conversations.replies', (client) =>
        client.conversations.replies({ channel: reply.channelId, ts: reply.threadTs, oldest: reply.messageTs, inclusive: false, limit: 20 }),
      );
      // People's messages only: the bridge's own posts (the customer's words, notices) say nothing of the agents' order.
      return messages.some((message) => message.ts !== reply.messageTs && message.ts !== reply.threadTs && message.user !== undefined && message.bot_id === undefined);
    },

    async readReply(reply) {
      let names: ReadonlyMap<string, { name?: string; pictureUrl?: string }> = new Map();
      try {
        // One lookup per person for names and the agent's picture: a slow users.info is waited for once.
        names = await users.profiles(await slack(), [reply.userId, ...mentionedUserIds(reply.markup)]);
      } catch (error) {
        logger.warn('could not resolve user names', { eventId: reply.eventId, error: error as Error });
      }
      const text = slackMarkupToPlainText(reply.markup, { userName: (id) => names.get(id)?.name }).trim();
      const author = names.get(reply.userId);
      return { text, agent: { name: author?.name, pictureUrl: author?.pictureUrl } };
    },

    async person(userId) {
      try {
        return await users.profile(await slack(), userId);
      } catch {
        // A name is a nicety; what it goes with matters more.
        return {};
      }
    },

    async describeFile(fileId) {
      return describeSlackFile(await slack(), fileId, logger);
    },

    async readFile(file, maxBytes) {
      return readSlackFile(await slack(), file, maxBytes, { slackApiUrl: options.slackApiUrl, logger });
    },
  };
}

/** The emoji each of the domain's reactions shows as. */
const REACTION_NAMES: Readonly<Record<Reaction, string>> = { 'kept-internal': 'lock' };

/** A thread post as Slack messages: the parts it takes, and how each is sent. */
function rendered(post: ThreadPost, escalationMention?: string): { parts: string[]; extra: { username?: string; icon_emoji?: string; unfurl_links?: false } } {
  switch (post.kind) {
    case 'customer-text':
      // Whole, however long: in as many posts as Slack's 40,000 characters take, split at line ends. With chat:write.customize
      // the thread reads as a conversation with the customer, and says who is the customer, lest a customer calling
      // themselves "Maya (Support)" read as an agent.
      return { parts: splitEscaped(post.text), extra: { unfurl_links: false, username: customerUsername(post.customerName), icon_emoji: ':bust_in_silhouette:' } };
    case 'intro': {
      const { summary, transcript, omittedLines } = post.intro;
      return { parts: [...((summary && summaryInThread(summary)) ?? []), ...(transcript.length > 0 ? [transcriptText(transcript, omittedLines)] : [])], extra: { unfurl_links: false } };
    }
    case 'notice':
      // A reminder calls whom the desk is set to call (SLACK_ESCALATION_MENTION); other notices call nobody.
      return { parts: [post.notice.kind === 'reminder' && escalationMention ? `${escalationMention} ${noticeText(post.notice)}` : noticeText(post.notice)], extra: {} };
  }
}

/** How long a post waits for its turn in the channel before its attempt gives way (and is retried when the turn comes). */
export const POST_TURN_WAIT_MS = 4_000;

/**
 * Keeps the bridge's posts to a channel within Slack's pace, together with
 * every other container posting there (a SharedPace): each post takes the
 * channel's next turn and waits for it, or, when its turn is further off than
 * POST_TURN_WAIT_MS, gives way with the time to try again (a 429 of the
 * bridge's own, which the queue honours). When Slack says "retry after N s"
 * all of them hold. Other methods are not paced per channel; a 429 for one
 * holds this container's calls to that channel.
 */
export class SlackPacer {
  private readonly until = new Map<string, number>();

  /**
   * `rule`: Slack's pace for chat.postMessage, "generally one message per
   * second per channel", short bursts allowed (docs.slack.dev, Web API rate
   * limits): SLACK_POST_PACE, a little under it unless set.
   */
  constructor(
    private readonly rule: PaceRule,
    private readonly pace: SharedPace = paceInMemory(),
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** `holder`: the post's own id, under which a turn it gives way for is kept for it (SharedPace.take). */
  async call<T>(channelId: string, method: string, call: () => Promise<T>, holder?: string): Promise<T> {
    const until = this.until.get(channelId);
    const holdMs = until === undefined ? 0 : until - this.now();
    if (holdMs > 0) throw new DownstreamError('slack', `${method} held back: the channel is rate limited`, { status: 429, retryAfterMs: holdMs });
    if (method === 'chat.postMessage') await this.turnIn(channelId, holder);
    try {
      return await callSlack(method, call);
    } catch (error) {
      if (error instanceof DownstreamError && error.status === 429 && error.retryAfterMs !== undefined) {
        const heldUntil = this.now() + error.retryAfterMs;
        this.until.set(channelId, heldUntil);
        // Every container's posts wait too; should this fail, they learn from their own 429s as before.
        await this.pace.holdUntil(channelId, heldUntil).catch(() => undefined);
      }
      throw error;
    }
  }

  /** This container's turns being taken, per channel: one at a time, so that its own posts do not race each other for the shared pace. */
  private readonly taking = new Map<string, Promise<unknown>>();

  private async turnIn(channelId: string, holder: string | undefined): Promise<void> {
    const before = this.taking.get(channelId) ?? Promise.resolve();
    const taking = before.then(() => {
      const now = this.now();
      return this.pace.take(channelId, this.rule, now, now + POST_TURN_WAIT_MS, holder).then((slot) => ({ slot, now }));
    });
    this.taking.set(channelId, taking.catch(() => undefined));
    const { slot, now } = await taking;
    if (!slot.taken) {
      // A post whose turn is kept comes back a little before it (the queue's delays are whole seconds) and waits for it.
      const early = holder === undefined ? 0 : POST_TURN_WAIT_MS / 2;
      throw new DownstreamError('slack', 'chat.postMessage gives way: the channel’s next turns are taken', { status: 429, retryAfterMs: Math.max(slot.notBefore - now - early, 0) });
    }
    if (slot.at > now) await this.sleep(slot.at - now);
  }
}
