import { describe, expect, it } from 'vitest';
import { DownstreamError } from '../../shared/errors';
import { noteInThread } from '../../shared/handoffs';
import type { Handoff } from '../../shared/thread-store';

const closed: Handoff = {
  conversationId: 'conv-1',
  channelId: 'C0SUPPORT1',
  threadTs: '1717549330.000100',
  state: 'closed',
  botpressUserId: 'bp-user-1',
  summary: 'Wants a refund',
  closedBy: 'customer',
  closedReason: 'user_ended',
  openedAt: 1_717_549_330_000,
  expiresAt: 1_717_635_730,
};

describe('noteInThread', () => {
  it('logs, and does not throw, when not even the Slack client can be had: the state change is already stored', async () => {
    const logged: { message: string; context: Record<string, unknown> }[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (message: string, context: Record<string, unknown>) => logged.push({ message, context }) };
    const secretsDown = new DownstreamError('secrets-manager', 'could not read secret bridge');

    await expect(noteInThread(closed, 'The customer left.', { slack: () => Promise.reject(secretsDown), logger })).resolves.toBeUndefined();

    expect(logged).toEqual([{ message: 'could not update the handoff card', context: { conversationId: 'conv-1', error: secretsDown } }]);
  });
});
