import { describe, expect, it } from 'vitest';
import { selectAgentReply } from '../../../shared/slack/replies';
import type { SlackEventCallback } from '../../../shared/slack/events';
import {
  AGENT,
  BRIDGE_BOT_USER,
  SUPPORT_CHANNEL,
  THREAD_TS,
  cardUpdated,
  channelJoin,
  customizedBotPost,
  eventCallback,
  fileShare,
  meMessage,
  replyDeleted,
  replyEdited,
  otherBotReply,
  ownPostEcho,
  threadBroadcast,
  threadReply,
  topLevelMessage,
} from '../../fixtures/slack-events';

const callback = (event: Record<string, unknown>) => eventCallback(event) as unknown as SlackEventCallback;

describe('selectAgentReply', () => {
  it.each([
    ['a message_changed without `edited` (a link unfurled)', () => ({ ...cardUpdated(), message: threadReply('see https://x.test'), previous_message: threadReply('see https://x.test') }), 'not_an_edit'],
    ['an edit that leaves the text as it was', () => replyEdited(threadReply('same'), 'same'), 'not_an_edit'],
    ['an edit in a colleague’s own thread', () => replyEdited(threadReply('a', { parentUserId: 'U0COLLEAGUE' }), 'b'), 'side_thread'],
    ['a reply also sent to the channel, in a colleague’s own thread', () => threadBroadcast('a', { user: 'U0COLLEAGUE' }), 'side_thread'],
    ['a reply also sent to the channel, in another app’s thread', () => threadBroadcast('a', { bot_id: 'B0OTHERAPP', subtype: 'bot_message' }), 'side_thread'],
    ["the bridge's own card update (message_changed)", cardUpdated, 'from_a_bot'],
    ["the deletion of the bridge's own post", () => replyDeleted(ownPostEcho('Customer: hi')), 'from_a_bot'],
    ['a deletion of a top-level message', () => replyDeleted(topLevelMessage('Morning team')), 'not_in_a_thread'],
    ['a channel join', channelJoin, 'unsupported_subtype'],
    ['a post with a custom username (bot_message)', () => customizedBotPost('customer text'), 'unsupported_subtype'],
    ["the bridge's own chat.postMessage echo", () => ownPostEcho('Customer: hi'), 'from_a_bot'],
    ['another bot in the thread', () => otherBotReply('beep'), 'from_a_bot'],
    ["the bridge's bot user without bot_id", () => ({ ...threadReply('hi'), user: BRIDGE_BOT_USER }), 'own_message'],
    ['a hidden message', () => ({ ...threadReply('hi'), hidden: true }), 'hidden'],
    ['a top-level channel message', () => topLevelMessage('Morning team'), 'not_in_a_thread'],
    ['the thread parent itself', () => threadReply('parent', { ts: THREAD_TS, threadTs: THREAD_TS }), 'thread_parent'],
    ['a reaction event', () => ({ type: 'reaction_added', user: AGENT, reaction: 'thumbsup', item: { type: 'message', channel: SUPPORT_CHANNEL, ts: THREAD_TS } }), 'not_a_message'],
    ['a reply with only whitespace', () => threadReply('   '), 'empty_text'],
    ['a file share of no files and no text', () => ({ ...fileShare(''), files: [] }), 'empty_text'],
  ])('ignores %s', (_case, makeEvent, reason) => {
    expect(selectAgentReply(callback(makeEvent()))).toEqual({ forward: false, reason });
  });

  it.each([
    ['a plain thread reply', () => threadReply('Hello!')],
    ['a thread reply also sent to the channel', () => threadBroadcast('Hello!')],
    ['a thread reply also sent to the channel, again', () => threadBroadcast('Hello!')],
    ['a thread reply whose null fields read as absent', (): Record<string, unknown> => ({ ...threadReply('Hello!'), subtype: null, bot_id: null, app_id: null, hidden: null })],
    ['a /me message', () => meMessage('Hello!')],
  ])('forwards %s', (_case, makeEvent) => {
    const event = makeEvent();
    const input = callback(event);
    expect(selectAgentReply(input)).toEqual({
      forward: true,
      reply: { eventId: input.event_id, channelId: SUPPORT_CHANNEL, threadTs: THREAD_TS, messageTs: event.ts, userId: AGENT, markup: 'Hello!' },
    });
  });
  it.each([
    ['with text', 'Here is the invoice'],
    ['alone', ''],
  ])('forwards a file share %s, naming its files by id', (_case, text) => {
    const event = fileShare(text);
    const input = callback(event);
    expect(selectAgentReply(input)).toEqual({
      forward: true,
      reply: { eventId: input.event_id, channelId: SUPPORT_CHANNEL, threadTs: THREAD_TS, messageTs: event.ts, userId: AGENT, markup: text, files: [{ id: 'F0123ABC' }] },
    });
  });

  it('names a files field of the wrong shape in a 400', () => {
    expect(() => selectAgentReply(callback({ ...fileShare('x'), files: [{ name: 'no id' }] }))).toThrow('body.event.files must be an array of objects with a string id');
  });

  it('takes an edit as a revision of the reply it changes, with the new text and the text before (which says whether it was an internal note)', () => {
    const original = threadReply('Your refund is on its way');
    const input = callback(replyEdited(original, 'Your refund was sent today'));
    const editedAt = ((input.event as { message: { edited: { ts: string } } }).message.edited.ts);
    expect(selectAgentReply(input)).toEqual({
      forward: true,
      reply: { eventId: input.event_id, channelId: SUPPORT_CHANNEL, threadTs: THREAD_TS, messageTs: original.ts, userId: AGENT, markup: 'Your refund was sent today', revision: { kind: 'edited', at: editedAt, previousMarkup: 'Your refund is on its way' } },
    });
  });

  it('takes a deletion as a revision of the reply deleted, with its text', () => {
    const original = threadReply('Oops, wrong customer');
    const input = callback(replyDeleted(original));
    expect(selectAgentReply(input)).toEqual({
      forward: true,
      reply: { eventId: input.event_id, channelId: SUPPORT_CHANNEL, threadTs: THREAD_TS, messageTs: original.ts, userId: AGENT, markup: '', revision: { kind: 'deleted', at: input.event.ts, previousMarkup: 'Oops, wrong customer' } },
    });
  });

  it('names a nested field of the wrong type in a 400', () => {
    const edit = replyEdited(threadReply('a'), 'b');
    expect(() => selectAgentReply(callback({ ...edit, message: { ...(edit.message as object), thread_ts: 42 } }))).toThrow('body.event.message.thread_ts must be a string');
  });
});
