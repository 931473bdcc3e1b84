import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../shared/aws/dynamo';
import { conversationKey, threadKey, ThreadStore } from '../../../shared/aws/handoff-store';
import { startLocalDynamo, type LocalDynamo } from '../../support/dynalite';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const DAY = 24 * 3600;
const START = Date.UTC(2026, 10, 24, 12, 0, 0);
const clock = { now: START };
const store = (ttlSeconds = 7 * DAY) => new ThreadStore({ client: dynamo.documentClient, tableName: dynamo.tableName, ttlSeconds, now: () => clock.now });
let counter = 0;
const newConversationId = () => `conv-${(counter += 1)}-${Math.random().toString(36).slice(2, 8)}`;

async function openHandoff(threads: ThreadStore, conversationId: string, threadTs = `1717549330.${String(counter).padStart(6, '0')}`) {
  const reservation = await threads.reserve(conversationId, { botpressUserId: 'bp-user-1', customerName: 'Jane', summary: 'Wants a refund' }, 10_000);
  if (!reservation.reserved) throw new Error('expected to reserve');
  return threads.activate(conversationId, reservation.token, { channelId: 'C0SUPPORT1', threadTs });
}

const rawItem = async (pk: string) =>
  (await dynamo.documentClient.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk } }))).Item;

describe('ThreadStore', () => {
  it('maps a thread to its conversation and back, with a TTL 7 days after the last activity', async () => {
    clock.now = START;
    const threads = store();
    const conversationId = newConversationId();
    const handoff = await openHandoff(threads, conversationId, '1717549330.000100');

    expect(handoff).toMatchObject({ conversationId, channelId: 'C0SUPPORT1', threadTs: '1717549330.000100', state: 'open', botpressUserId: 'bp-user-1', customerName: 'Jane' });
    expect(await threads.findByThread('C0SUPPORT1', '1717549330.000100')).toEqual(handoff);
    expect(await threads.findByConversation(conversationId)).toEqual(handoff);
    const expected = Math.floor(START / 1000) + 7 * DAY;
    expect((await rawItem(conversationKey(conversationId)))?.expiresAt).toBe(expected);
    expect((await rawItem(threadKey('C0SUPPORT1', '1717549330.000100')))?.expiresAt).toBe(expected);
  });

  it('gives every thread a key of its own, whatever its parts hold, and keeps the keys of Slack ids as they were', () => {
    const pairs = [['C_1', '2'], ['C', '1_2'], ['C%5F1', '2'], ['C', '1%5F2']] as const;
    expect(new Set(pairs.map(([channel, ts]) => threadKey(channel, ts))).size).toBe(pairs.length);
    expect(threadKey('C0SUPPORT1', '1717549330.000100')).toBe('thread#C0SUPPORT1_1717549330.000100');
    expect(conversationKey('c#x')).not.toBe(conversationKey('c'));
  });

  it('treats an expired item as absent although DynamoDB has not deleted it yet', async () => {
    clock.now = START;
    const threads = store(3600);
    const conversationId = newConversationId();
    const handoff = await openHandoff(threads, conversationId);

    clock.now = START + 3600 * 1000 + 1000;
    expect(await rawItem(conversationKey(conversationId))).toBeDefined();
    expect(await threads.findByConversation(conversationId)).toBeUndefined();
    expect(await threads.findByThread(handoff.channelId, handoff.threadTs)).toBeUndefined();
  });

  it('refreshes both items on activity', async () => {
    clock.now = START;
    const threads = store(3600);
    const handoff = await openHandoff(threads, newConversationId());

    clock.now = START + 50 * 60 * 1000;
    await threads.touch(handoff);
    clock.now = START + 90 * 60 * 1000; // past the original expiry, within the refreshed one
    expect(await threads.findByThread(handoff.channelId, handoff.threadTs)).toMatchObject({ state: 'open' });
    const refreshed = Math.floor((START + 50 * 60 * 1000) / 1000) + 3600;
    expect((await rawItem(threadKey(handoff.channelId, handoff.threadTs)))?.expiresAt).toBe(refreshed);
    expect((await rawItem(conversationKey(handoff.conversationId)))?.expiresAt).toBe(refreshed);
  });

  it('does not rewrite the expiry while the handoff has aged by less than a tenth of its lifetime (at most an hour)', async () => {
    clock.now = START;
    const threads = store(7 * DAY);
    const handoff = await openHandoff(threads, newConversationId());
    clock.now = START + 59 * 60 * 1000;
    await threads.touch(handoff);
    expect((await rawItem(conversationKey(handoff.conversationId)))?.expiresAt).toBe(handoff.expiresAt);
    clock.now = START + 61 * 60 * 1000;
    await threads.touch(handoff);
    expect((await rawItem(conversationKey(handoff.conversationId)))?.expiresAt).toBe(Math.floor(clock.now / 1000) + 7 * DAY);
  });

  it('lets exactly one of many concurrent callers reserve a conversation', async () => {
    clock.now = START;
    const threads = store();
    const conversationId = newConversationId();
    const results = await Promise.all(Array.from({ length: 12 }, () => threads.reserve(conversationId, { botpressUserId: 'u', summary: 's' }, 10_000)));
    expect(results.filter((result) => result.reserved)).toHaveLength(1);
    expect(results.filter((result) => !result.reserved).every((result) => !result.reserved && result.current.state === 'opening')).toBe(true);
  });

  it('reports an open handoff to a second reservation, and allows a new one once it is closed', async () => {
    clock.now = START;
    const threads = store();
    const conversationId = newConversationId();
    const first = await openHandoff(threads, conversationId, '1717549330.111111');
    const again = await threads.reserve(conversationId, { botpressUserId: 'u', summary: 's' }, 10_000);
    expect(again).toEqual({ reserved: false, current: first });

    await threads.close(conversationId, first.threadTs, { by: 'U1', reason: 'resolved' });
    const second = await openHandoff(threads, conversationId, '1717549330.222222');
    expect(second.threadTs).toBe('1717549330.222222');
    // The old thread no longer leads to a live handoff.
    expect(await threads.findByThread('C0SUPPORT1', '1717549330.111111')).toBeUndefined();
  });

  it('reads a thread’s pointer once per container, but the handoff behind it every time', async () => {
    clock.now = START;
    const client = createDocumentClient({ endpoint: dynamo.endpoint });
    const reads: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand') reads.push(JSON.stringify(args.input));
        return next(args);
      },
      { step: 'initialize' },
    );
    const threads = new ThreadStore({ client, tableName: dynamo.tableName, ttlSeconds: 7 * DAY, now: () => clock.now });
    const conversationId = newConversationId();
    const first = await openHandoff(threads, conversationId, '1717549330.333333');
    const readsOf = (pk: string) => reads.filter((input) => input.includes(JSON.stringify(pk))).length;

    expect(await threads.findByThread('C0SUPPORT1', first.threadTs)).toEqual(first);
    expect(await threads.findByThread('C0SUPPORT1', first.threadTs)).toEqual(first);
    expect(readsOf(threadKey('C0SUPPORT1', first.threadTs))).toBe(1);
    expect(readsOf(conversationKey(conversationId))).toBe(2);

    // The remembered pointer still leads to the conversation, which now lives in another thread: not this one's.
    await threads.close(conversationId, first.threadTs, { by: 'U1', reason: 'resolved' });
    const second = await openHandoff(threads, conversationId, '1717549330.444444');
    expect(await threads.findByThread('C0SUPPORT1', first.threadTs)).toBeUndefined();
    expect(await threads.findByThread('C0SUPPORT1', second.threadTs)).toEqual(second);
    // An unknown thread is asked about each time: its pointer may be written later.
    expect(await threads.findByThread('C0SUPPORT1', '1717549330.555555')).toBeUndefined();
    expect(await threads.findByThread('C0SUPPORT1', '1717549330.555555')).toBeUndefined();
    expect(readsOf(threadKey('C0SUPPORT1', '1717549330.555555'))).toBe(2);
    client.destroy();
  });

  it('takes over a reservation whose holder died once its lease has passed', async () => {
    clock.now = START;
    const threads = store();
    const conversationId = newConversationId();
    expect((await threads.reserve(conversationId, { botpressUserId: 'u', summary: 's' }, 5_000)).reserved).toBe(true);
    expect((await threads.reserve(conversationId, { botpressUserId: 'u', summary: 's' }, 5_000)).reserved).toBe(false);
    clock.now = START + 5_001;
    expect((await threads.reserve(conversationId, { botpressUserId: 'u', summary: 's' }, 5_000)).reserved).toBe(true);
  });

  it('closes once and assigns an agent once, however many callers race', async () => {
    clock.now = START;
    const threads = store();
    const handoff = await openHandoff(threads, newConversationId());

    const assigned = await Promise.all(['U1', 'U2', 'U3', 'U4'].map((agent) => threads.assignAgent(handoff.conversationId, handoff.threadTs, agent)));
    expect(assigned.filter(Boolean)).toHaveLength(1);

    const closed = await Promise.all(['U1', 'U2', 'U3'].map((agent) => threads.close(handoff.conversationId, handoff.threadTs, { by: agent, reason: 'resolved' })));
    const winners = closed.filter((result) => result !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ state: 'closed', closedReason: 'resolved' });
    expect(await threads.findByThread(handoff.channelId, handoff.threadTs)).toMatchObject({ state: 'closed' });
  });

  it('records when an agent got the handoff, gives it to another only from the agent who has it, and forgets both on release', async () => {
    clock.now = START;
    const threads = store();
    const handoff = await openHandoff(threads, newConversationId());
    expect(await threads.assignAgent(handoff.conversationId, handoff.threadTs, 'U1')).toMatchObject({ claimedBy: 'U1', claimedAt: START });
    clock.now = START + 60_000;
    expect(await threads.reassignAgent(handoff.conversationId, handoff.threadTs, 'U9', 'U2')).toBeUndefined();
    const taken = await Promise.all(['U2', 'U3'].map((agent) => threads.reassignAgent(handoff.conversationId, handoff.threadTs, 'U1', agent)));
    expect(taken.filter(Boolean)).toEqual([expect.objectContaining({ claimedAt: START + 60_000 })]);
    const holder = taken.find(Boolean)!.claimedBy!;
    const released = await threads.unassignAgent(handoff.conversationId, handoff.threadTs, holder);
    expect(released).not.toHaveProperty('claimedBy');
    expect(released).not.toHaveProperty('claimedAt');
  });

  it('keeps the service’s milestones: the first assignment (not a later one), the first reply (once, also after a close), the close', async () => {
    clock.now = START;
    const threads = store();
    const handoff = await openHandoff(threads, newConversationId());
    clock.now = START + 1_000;
    await threads.assignAgent(handoff.conversationId, handoff.threadTs, 'U1');
    clock.now = START + 2_000;
    await threads.unassignAgent(handoff.conversationId, handoff.threadTs, 'U1');
    expect(await threads.assignAgent(handoff.conversationId, handoff.threadTs, 'U2')).toMatchObject({ firstClaimedAt: START + 1_000, claimedAt: START + 2_000 });
    clock.now = START + 3_000;
    expect(await threads.close(handoff.conversationId, handoff.threadTs, { by: 'U2', reason: 'resolved' })).toMatchObject({ closedAt: START + 3_000 });
    const marked = await Promise.all([1, 2, 3].map(() => threads.markFirstReply(handoff.conversationId, handoff.threadTs)));
    expect(marked.filter(Boolean)).toEqual([expect.objectContaining({ firstReplyAt: START + 3_000, openedAt: START })]);
  });

  it('lists the open handoffs oldest first from its sparse index, without the closed or expired, and says when there are more', async () => {
    const threads = store(3600);
    const opened: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      clock.now = START + 10 * DAY * 1000 + i * 1_000;
      opened.push((await openHandoff(threads, newConversationId())).conversationId);
    }
    const [, second, third] = opened;
    const closed = await threads.findThreadOf(second!);
    await threads.close(second!, closed!.threadTs, { by: 'U1', reason: 'resolved' });
    // Reopened (a Resolve undone): back in the list.
    await threads.reopen(second!, closed!.threadTs, 'U1');
    await threads.close(third!, (await threads.findThreadOf(third!))!.threadTs, { by: 'U1', reason: 'resolved' });
    const mine = (list: { conversationId: string }[]) => list.map((handoff) => handoff.conversationId).filter((id) => opened.includes(id));
    expect(mine((await threads.openHandoffs(50)).handoffs)).toEqual([opened[0], second, opened[3]]);
    expect(await threads.openHandoffs(1)).toMatchObject({ more: true });
    // An hour later every one of them has expired, though DynamoDB has not deleted them yet.
    clock.now += 3601 * 1000;
    expect(mine((await threads.openHandoffs(50)).handoffs)).toEqual([]);
  });

  it('undoes an assignment or a close only for the agent who made it', async () => {
    clock.now = START;
    const threads = store();
    const handoff = await openHandoff(threads, newConversationId());
    await threads.assignAgent(handoff.conversationId, handoff.threadTs, 'U1');
    expect(await threads.unassignAgent(handoff.conversationId, handoff.threadTs, 'U2')).toBeUndefined();
    expect(await threads.unassignAgent(handoff.conversationId, handoff.threadTs, 'U1')).not.toHaveProperty('claimedBy');

    await threads.close(handoff.conversationId, handoff.threadTs, { by: 'U1', reason: 'resolved' });
    expect(await threads.reopen(handoff.conversationId, handoff.threadTs, 'U2')).toBeUndefined();
    const reopened = await threads.reopen(handoff.conversationId, handoff.threadTs, 'U1');
    expect(reopened).toMatchObject({ state: 'open' });
    expect(reopened).not.toHaveProperty('closedBy');
  });
});
