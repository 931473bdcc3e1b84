import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBridgeEvent, CustomerMessageRequestSchema, parseJsonBody, REQUEST_LIMITS, type BridgeEvent } from '../../../shared/botpress/contract';

/* The one module that says what the bridge and Botpress exchange: each direction validated, with its limits. */
const thread = { conversationId: 'conv-1', userId: 'U1', channelId: 'C1', threadTs: '1.1' };
const EVENTS: BridgeEvent[] = [
  { type: 'agent_message', eventId: 'C1:1.2', text: 'hi', messageTs: '1.2', ...thread, agentName: 'Maya', files: [{ name: 'a.png', mimetype: 'image/png', size: 3, kind: 'image', url: 'https://x/a' }] },
  { type: 'agent_message', eventId: 'C1:1.2:edited:1.3', text: '(edited) hi', messageTs: '1.2', edited: true, ...thread },
  { type: 'agent_assigned', eventId: 'claim:C1:1.1', ...thread, agentName: 'Maya', agentPictureUrl: 'https://x/p.png' },
  { type: 'handoff_resolved', eventId: 'resolve:C1:1.1', ...thread },
  { type: 'customer_message_failed', eventId: '["k"]', conversationId: 'conv-1', messageId: 'm', fileName: 'a.pdf', reason: 'file_too_large', maxFileBytes: 1 },
  { type: 'handoff_failed', eventId: '["h"]', conversationId: 'conv-1' },
];

describe('checkBridgeEvent (bridge → Botpress)', () => {
  it.each(EVENTS.map((event) => [event.type, event] as const))('takes a %s as the bridge sends it', (_type, event) => {
    expect(checkBridgeEvent(JSON.stringify(event))).toEqual({ kind: 'event', event });
  });

  it.each([
    ['not JSON', '{', ['body is not valid JSON']],
    ['no type', '{}', ['type: must be a string']],
    ['a field of the wrong type', JSON.stringify({ ...EVENTS[3], threadTs: 7 }), ['threadTs: must be a string']],
    ['a missing field', JSON.stringify({ type: 'handoff_failed', eventId: 'e' }), ['conversationId: is required']],
  ])('names what is wrong with %s', (_case, body, problems) => {
    expect(checkBridgeEvent(body)).toEqual({ kind: 'invalid', problems });
  });

  it('acknowledges a type it does not know, from a newer bridge, without acting on it', () => {
    expect(checkBridgeEvent(JSON.stringify({ type: 'handoff_reminded', conversationId: 'c' }))).toEqual({ kind: 'unknown', type: 'handoff_reminded' });
    expect(checkBridgeEvent(JSON.stringify({ type: 'toString' }))).toEqual({ kind: 'unknown', type: 'toString' });
  });

  it('answers any input with one of its three kinds, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constantFrom(...EVENTS).map((event) => JSON.stringify(event))), (body) => {
        expect(['event', 'unknown', 'invalid']).toContain(checkBridgeEvent(body).kind);
      }),
    );
  });
});

describe('the requests (Botpress → bridge)', () => {
  it('holds a message to its limit, naming it', () => {
    const long = JSON.stringify({ conversationId: 'c', text: 'x'.repeat(REQUEST_LIMITS.message + 1) });
    expect(() => parseJsonBody(long, CustomerMessageRequestSchema)).toThrow(`text: must be at most ${REQUEST_LIMITS.message} characters`);
  });
});
