import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HandoffRequest } from '../../shared/botpress-requests';
import { DeliveryLedger } from '../../shared/delivery-ledger';
import { DownstreamError } from '../../shared/errors';
import { forwardCustomerMessage, noteInThread, openHandoff, type HandoffDependencies } from '../../shared/handoffs';
import { createSlackClient } from '../../shared/slack/client';
import { ThreadStore, type Handoff } from '../../shared/thread-store';
import { seedHandoff } from '../support/bridge-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';

const CHANNEL = 'C0SUPPORT1';
let dynamo: LocalDynamo;
let slack: SlackStandIn;
let store: ThreadStore;
const logged: { message: string; context: Record<string, unknown> }[] = [];
const logger = { info: () => undefined, warn: () => undefined, error: (message: string, context: Record<string, unknown>) => logged.push({ message, context }) };

beforeAll(async () => {
  [dynamo, slack] = await Promise.all([startLocalDynamo(), startSlackStandIn()]);
  store = new ThreadStore({ client: dynamo.documentClient, tableName: dynamo.tableName, ttlSeconds: 3600 });
});
afterAll(() => Promise.all([dynamo.close(), slack.close()]));
beforeEach(() => {
  slack.calls.length = 0;
  logged.length = 0;
});

function dependencies(overrides: Partial<HandoffDependencies> = {}): HandoffDependencies {
  return {
    store,
    ledger: new DeliveryLedger({ client: dynamo.documentClient, tableName: dynamo.tableName }),
    slack: () => createSlackClient({ token: 'xoxb-handoffs-test', slackApiUrl: slack.apiUrl }),
    supportChannelId: CHANNEL,
    logger,
    ...overrides,
  };
}

let n = 0;
const handoffRequest = (): HandoffRequest => ({ conversationId: `conv-withdraw-${(n += 1)}`, userId: 'bp-user-1', summary: 'Wants a refund' });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('openHandoff when the handoff cannot be stored after its card is posted', () => {
  it('takes the card down and gives the reservation back, so that Botpress’s retry opens one live thread', async () => {
    const request = handoffRequest();
    const storeDown = new DownstreamError('dynamodb', 'activate handoff failed');
    let card: string | undefined;
    const failingStore = Object.assign(Object.create(store) as ThreadStore, {
      activate: (_conversationId: string, _token: string, thread: { threadTs: string }) => {
        card = thread.threadTs;
        return Promise.reject(storeDown);
      },
    });

    expect(await failure(openHandoff(request, dependencies({ store: failingStore })))).toBe(storeDown);
    expect(slack.callsTo('chat.delete')).toMatchObject([{ args: { channel: CHANNEL, ts: card } }]);

    const retried = await openHandoff(request, dependencies());
    expect(retried.status).toBe('created');
    expect(retried.threadTs).not.toBe(card);
    expect((await store.findByConversation(request.conversationId))?.threadTs).toBe(retried.threadTs);
  });

  it('keeps the card when the write did land and only its answer was lost: the retry finds the handoff open on it', async () => {
    const request = handoffRequest();
    const lostAnswer = new DownstreamError('dynamodb', 'activate handoff failed');
    let card: string | undefined;
    const lossyStore = Object.assign(Object.create(store) as ThreadStore, {
      activate: async (...args: Parameters<ThreadStore['activate']>) => {
        card = args[2].threadTs;
        await store.activate(...args);
        throw lostAnswer;
      },
    });

    expect(await failure(openHandoff(request, dependencies({ store: lossyStore })))).toBe(lostAnswer);
    expect(slack.callsTo('chat.delete')).toHaveLength(0);

    expect(await openHandoff(request, dependencies())).toEqual({ status: 'already_open', channelId: CHANNEL, threadTs: card });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('openHandoff when the card cannot be posted', () => {
  it('reports the Slack failure, not the store’s, when the reservation cannot be given back either (its lease runs out)', async () => {
    const storeDown = new DownstreamError('dynamodb', 'abandon reservation failed');
    const failingStore = Object.assign(Object.create(store) as ThreadStore, { abandon: () => Promise.reject(storeDown) });
    slack.failing.set('chat.postMessage', 'channel_not_found');
    try {
      const error = await failure(openHandoff(handoffRequest(), dependencies({ store: failingStore })));
      expect(error).toMatchObject({ service: 'slack', message: 'slack: chat.postMessage failed' });
      expect(logged).toEqual([{ message: 'could not give the handoff reservation back', context: expect.objectContaining({ error: storeDown }) as unknown }]);
    } finally {
      slack.failing.clear();
    }
  });
});

describe('forwardCustomerMessage when Slack fails', () => {
  it('reports the Slack failure, not the ledger’s, when the claim cannot be released either (its lease runs out)', async () => {
    const conversationId = `conv-forward-${(n += 1)}`;
    await seedHandoff(store, conversationId, `1717549331.${String(n).padStart(6, '0')}`, CHANNEL);
    const ledgerDown = new DownstreamError('dynamodb', 'release delivery claim failed');
    const realLedger = new DeliveryLedger({ client: dynamo.documentClient, tableName: dynamo.tableName });
    const failingLedger = Object.assign(Object.create(realLedger) as DeliveryLedger, { release: () => Promise.reject(ledgerDown) });
    slack.failing.set('chat.postMessage', 'channel_not_found');
    try {
      const request = { conversationId, text: 'Hello?', messageId: 'bp-msg-1' };
      const error = await failure(forwardCustomerMessage(request, dependencies({ ledger: failingLedger })));
      expect(error).toMatchObject({ service: 'slack', message: 'slack: chat.postMessage failed' });
      expect(logged).toEqual([{ message: 'could not release delivery claim', context: expect.objectContaining({ conversationId, error: ledgerDown }) as unknown }]);
    } finally {
      slack.failing.clear();
    }
  });
});

describe('noteInThread', () => {
  const closed: Handoff = {
    conversationId: 'conv-1',
    channelId: CHANNEL,
    threadTs: '1717549330.000100',
    state: 'closed',
    botpressUserId: 'bp-user-1',
    summary: 'Wants a refund',
    closedBy: 'customer',
    closedReason: 'user_ended',
    openedAt: 1_717_549_330_000,
    expiresAt: 1_717_635_730,
  };

  it('logs, and does not throw, when not even the Slack client can be had: the state change is already stored', async () => {
    const secretsDown = new DownstreamError('secrets-manager', 'could not read secret bridge');

    await expect(noteInThread(closed, 'The customer left.', { slack: () => Promise.reject(secretsDown), logger })).resolves.toBeUndefined();

    expect(logged).toEqual([{ message: 'could not update the handoff card', context: { conversationId: 'conv-1', error: secretsDown } }]);
  });
});
