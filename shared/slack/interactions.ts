import type { AgentAction } from '../domain/ports';
import { BadRequestError } from '../platform/errors';
import { CLAIM_ACTION_ID, RELEASE_ACTION_ID, RESOLVE_ACTION_ID, TAKE_OVER_ACTION_ID } from './render/cards';

export type ParsedInteraction =
  /** `responseUrl`: where to answer whoever pressed, privately. */
  | { readonly type: 'agent_action'; readonly action: AgentAction; readonly responseUrl?: string | undefined }
  | { readonly type: 'other'; readonly description: string };

// A Map, not an object literal: an action_id such as `__proto__` or `toString` must not find an inherited property.
const ACTION_KINDS: ReadonlyMap<string, AgentAction['kind']> = new Map([
  [CLAIM_ACTION_ID, 'claim'],
  [RELEASE_ACTION_ID, 'release'],
  [TAKE_OVER_ACTION_ID, 'take-over'],
  [RESOLVE_ACTION_ID, 'resolve'],
]);

/**
 * Parses an interactivity request body (`application/x-www-form-urlencoded`
 * with one field, `payload`, holding JSON). Interactions other than the
 * bridge's own buttons are reported as `other`, to be acknowledged and ignored.
 */
export function parseInteraction(rawBody: string): ParsedInteraction {
  const payloadField = new URLSearchParams(rawBody).get('payload');
  if (payloadField === null) throw new BadRequestError(['body must be form-encoded with a "payload" field']);
  let payload: unknown;
  try {
    payload = JSON.parse(payloadField);
  } catch {
    throw new BadRequestError(['payload is not valid JSON']);
  }
  const p = payload as {
    type?: unknown;
    user?: { id?: unknown };
    container?: { channel_id?: unknown; message_ts?: unknown };
    channel?: { id?: unknown };
    actions?: { action_id?: unknown; value?: unknown }[];
    response_url?: unknown;
  };
  if (typeof p !== 'object' || p === null || typeof p.type !== 'string') throw new BadRequestError(['payload.type must be a string']);
  if (p.type !== 'block_actions') return { type: 'other', description: p.type };

  const button = Array.isArray(p.actions) ? p.actions[0] : undefined;
  const kind = typeof button?.action_id === 'string' ? ACTION_KINDS.get(button.action_id) : undefined;
  if (!kind) return { type: 'other', description: `block_actions:${String(button?.action_id)}` };

  const fields = {
    conversationId: button?.value,
    agentUserId: p.user?.id,
    channelId: p.container?.channel_id ?? p.channel?.id,
    threadTs: p.container?.message_ts,
  };
  const problems = Object.entries(fields)
    .filter(([, value]) => typeof value !== 'string' || value === '')
    .map(([name]) => `payload is missing ${name}`);
  if (problems.length > 0) throw new BadRequestError(problems);
  return { type: 'agent_action', action: { kind, ...(fields as Omit<AgentAction, 'kind'>) }, responseUrl: typeof p.response_url === 'string' ? p.response_url : undefined };
}
