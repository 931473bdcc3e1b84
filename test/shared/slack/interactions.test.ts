import { describe, expect, it } from 'vitest';
import { CLAIM_ACTION_ID, RESOLVE_ACTION_ID } from '../../../shared/slack/render/cards';
import { parseInteraction } from '../../../shared/slack/interactions';
import { AGENT, SUPPORT_CHANNEL, THREAD_TS } from '../../fixtures/slack-events';
import { buttonPress } from '../../fixtures/slack-interactions';

const press = (actionId: string) => parseInteraction(buttonPress({ actionId, value: 'conv-1', user: AGENT, messageTs: THREAD_TS }));

describe('parseInteraction', () => {
  it.each([
    [CLAIM_ACTION_ID, 'claim'],
    [RESOLVE_ACTION_ID, 'resolve'],
  ] as const)('reads %s as a %s of the card’s handoff', (actionId, kind) => {
    expect(press(actionId)).toEqual({
      type: 'agent_action',
      action: { kind, conversationId: 'conv-1', agentUserId: AGENT, channelId: SUPPORT_CHANNEL, threadTs: THREAD_TS },
      // Where to answer whoever pressed, privately.
      responseUrl: 'https://hooks.slack.com/actions/T061EG9R6/1234567890/abcdef',
    });
  });

  it.each(['__proto__', 'toString', 'constructor', 'other_button'])('reports any other action_id (%s) as other, never as an agent action', (actionId) => {
    expect(press(actionId)).toEqual({ type: 'other', description: `block_actions:${actionId}` });
  });
});
