import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../shared/slack/render/cards';
import { AGENT, eventCallback } from '../fixtures/slack-events';
import { buttonPress } from '../fixtures/slack-interactions';
import { SUPPORT_CHANNEL_ID, startHttpBridge, type BridgeHarness, type HttpHandler } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * The queue view in the app's Home tab, through the real handlers: Slack's
 * app_home_opened (https://docs.slack.dev/reference/events/app_home_opened)
 * queues the view, and the delivery function publishes it (views.publish)
 * from the sparse index of open handoffs on dynalite.
 */
let bridge: BridgeHarness;
let slackHandler: HttpHandler;
let botpressHandler: HttpHandler;
let n = 0;

beforeAll(async () => {
  ({ bridge, slackHandler, botpressHandler } = await startHttpBridge());
});
afterAll(() => bridge.close());
beforeEach(async () => {
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
  bridge.slack.failing.clear();
});

async function openHandoff(customerName: string): Promise<{ conversationId: string; threadTs: string }> {
  const conversationId = `conv-queue-${(n += 1)}`;
  const response = await botpressHandler(botpressRequest('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Needs a human', customer: { name: customerName } }));
  return { conversationId, threadTs: (JSON.parse(response.body!) as { threadTs: string }).threadTs };
}
const press = (actionId: string, handoff: { conversationId: string; threadTs: string }) =>
  slackHandler(signedSlackRequest(buttonPress({ actionId, value: handoff.conversationId, user: AGENT, messageTs: handoff.threadTs }), { path: '/slack/interactions', contentType: 'application/x-www-form-urlencoded' }));
const homeOpened = (tab = 'home') => slackHandler(signedSlackRequest(JSON.stringify(eventCallback({ type: 'app_home_opened', user: AGENT, channel: 'D0HOME', tab, event_ts: '1717549400.000100' }))));
const sectionsShown = () => (bridge.slack.homeViews.get(AGENT)?.blocks ?? []).filter((block) => (block as { type: string }).type === 'section').map((block) => (block as { text: { text: string } }).text.text);

describe('the open queue in the Home tab', () => {
  it('lists the open handoffs, oldest first, with customer, channel, waiting time or who has it, and a link to the thread; resolved ones are gone', async () => {
    const first = await openHandoff('Ada Oldest');
    const second = await openHandoff('Ben Claimed');
    const third = await openHandoff('Cy Resolved');
    await press(CLAIM_ACTION_ID, second);
    await press(RESOLVE_ACTION_ID, third);
    await bridge.runDeliveries();

    expect((await homeOpened()).statusCode).toBe(200);
    // Nothing published in the request: the view goes through the delivery queue.
    expect(bridge.slack.callsTo('views.publish')).toEqual([]);
    await bridge.runDeliveries();
    const shown = sectionsShown().filter((text) => /Ada Oldest|Ben Claimed|Cy Resolved/.test(text));
    expect(shown).toHaveLength(2);
    expect(shown[0]).toContain('*Ada Oldest*');
    expect(shown[0]).toContain(`<#${SUPPORT_CHANNEL_ID}>`);
    expect(shown[0]).toMatch(/Waiting for an agent since <!date\^\d+\^\{time\}\|[^>]+> \(\d+ min\)/);
    expect(shown[0]).toContain(`<https://stand-in.slack.com/archives/${SUPPORT_CHANNEL_ID}/p${first.threadTs.replace('.', '')}|Open thread>`);
    expect(shown[1]).toContain('*Ben Claimed*');
    expect(shown[1]).toContain(`<@${AGENT}> has it`);
    // The workspace's URL is asked once per container (here, or by a test before this one), not once per view.
    const asked = bridge.slack.callsTo('auth.test').length;
    expect(asked).toBeLessThanOrEqual(1);
    await homeOpened();
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('views.publish').length).toBe(2);
    expect(bridge.slack.callsTo('auth.test')).toHaveLength(asked);
  });

  it('ignores the Messages tab being opened: 200, nothing queued', async () => {
    expect((await homeOpened('messages')).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('views.publish')).toEqual([]);
  });

  it('retries a view Slack rate-limits, through the queue, and publishes it once Slack takes it', async () => {
    await openHandoff('Dee Retried');
    bridge.slack.failing.set('views.publish', 'ratelimited');
    expect((await homeOpened()).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('views.publish').length).toBeGreaterThan(0);
    bridge.slack.failing.clear();
    bridge.slack.homeViews.clear();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await bridge.runDeliveries();
    expect(sectionsShown().some((text) => text.includes('Dee Retried'))).toBe(true);
  });
});
