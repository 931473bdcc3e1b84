import type * as sdk from '@botpress/sdk';
import { isApiError } from '@botpress/sdk';
import { BRIDGE_SIGNATURE_HEADERS, checkBridgeEvent, URL_FIELD_OF_KIND, type BridgeEvent, type BridgeFile } from '../../../shared/botpress/contract';
import { verifySlackSignature } from '../../../shared/platform/hmac';
import type { Client } from './types';

/*
 * What the bridge sends Botpress (README, "Bridge → Botpress"), arriving at
 * the integration's webhook URL: an agent's reply becomes a message in the
 * session's conversation from a Botpress user standing for the agent, which
 * the HITL plugin shows the customer with the agent's name; Claim and Resolve
 * become the interface's hitlAssigned and hitlStopped.
 *
 * The plugin makes whoever writes first in a session without an agent its
 * agent (plugins/hitl, before-incoming-message/all.ts, assignAgent): the
 * customer reads "A human agent has joined" and the plugin's timeout for
 * nobody taking the session stops counting. So a notice for the customer is
 * written as the agent the session has, and held until it has one.
 */

type Logger = { warn(message: string): void; info(message: string): void };


const header = (req: sdk.Request, name: string) => req.headers[name] ?? Object.entries(req.headers).find(([key]) => key.toLowerCase() === name)?.[1];
const respond = (status: number, body: unknown): sdk.Response => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * The webhook: a call the bridge did not sign, or signed more than five
 * minutes ago, is refused with an opaque 401 (the reason logged for the bot
 * owner); a body that is not one of the bridge's events, with a 400 naming why.
 */
export async function handleBridgeCall(req: sdk.Request, signingSecret: string, client: Client, logger: Logger, nowSeconds = Math.floor(Date.now() / 1000)): Promise<sdk.Response> {
  const signature = verifySlackSignature({
    signingSecret,
    timestamp: header(req, BRIDGE_SIGNATURE_HEADERS.timestamp),
    signature: header(req, BRIDGE_SIGNATURE_HEADERS.signature),
    rawBody: req.body ?? '',
    nowSeconds,
  });
  if (!signature.valid) {
    logger.warn(`A call to the webhook was refused (${signature.reason}): it is not from the bridge, or the integration's Signing secret is not the bridge's botpressSigningSecret.`);
    return respond(401, { error: 'unauthorized' });
  }
  const check = checkBridgeEvent(req.body ?? '');
  if (check.kind === 'invalid') return respond(400, { error: 'bad_request', problems: check.problems });
  if (check.kind === 'unknown') {
    logger.info(`A bridge event of type ${check.type} was ignored.`);
    return respond(200, { ok: true });
  }
  try {
    await apply(check.event, client);
  } catch (error) {
    return failureResponse(error, logger);
  }
  return respond(200, { ok: true });
}

/** The event, written to the session's conversation through the Botpress API. */
async function apply(event: BridgeEvent, client: Client): Promise<void> {
  switch (event.type) {
    case 'agent_message':
      // The plugin makes the first to write its agent, if it has none.
      await agentKnown(client, event.conversationId, await showAgentMessage(event, client));
      break;
    case 'agent_assigned': {
      const agent = await agentUser(client, event.userId, event.agentName, event.agentPictureUrl);
      await client.createEvent({ type: 'hitlAssigned', payload: { conversationId: event.conversationId, userId: agent }, conversationId: event.conversationId });
      await agentKnown(client, event.conversationId, agent);
      break;
    }
    case 'handoff_resolved':
      await client.createEvent({ type: 'hitlStopped', payload: { conversationId: event.conversationId }, conversationId: event.conversationId });
      break;
    case 'customer_message_failed':
      await tellCustomer(client, event, failureText(event));
      break;
    case 'handoff_failed':
      // Nobody will take this session: the plugin ends it and says so with its own stop message. A notice
      // written first would make up an agent that "joined" (botpress/README.md, "When the handoff fails").
      await client.createEvent({ type: 'hitlStopped', payload: { conversationId: event.conversationId }, conversationId: event.conversationId });
      break;
  }
}

/**
 * A write to the Botpress API that failed. A refusal retrying cannot change
 * (the conversation does not exist, a payload the API will not take) is
 * final: 404 or 400. Anything else (the API's 5xx or 429 after the SDK's own
 * retries, a timeout, the network) is answered 503, which the bridge retries:
 * every write here is found again by its tags, so a retry creates nothing
 * twice. Thrown, it would reach the bridge as the SDK's 400, a refusal.
 */
function failureResponse(error: unknown, logger: Logger): sdk.Response {
  if (isApiError(error) && error.code >= 400 && error.code < 500 && error.code !== 429) {
    logger.warn(`The Botpress API refused a bridge event (${error.type}); it is not retried.`);
    return respond(error.code === 404 ? 404 : 400, { error: 'refused', type: error.type });
  }
  logger.warn(`A bridge event could not be written (${isApiError(error) ? error.type : 'no answer from the Botpress API'}); the bridge retries it.`);
  return { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '2' }, body: JSON.stringify({ error: 'unavailable', retryable: true }) };
}

/** Once per Slack message, however often the bridge sends it: each message is found again by the reply's eventId. Returns the agent's user. */
async function showAgentMessage(event: Extract<BridgeEvent, { type: 'agent_message' }>, client: Client): Promise<string> {
  const agent = await agentUser(client, event.userId, event.agentName, event.agentPictureUrl);
  const messages: { type: 'text' | BridgeFile['kind']; payload: Record<string, string> }[] = [
    ...(event.text ? [{ type: 'text' as const, payload: { text: event.text } }] : []),
    ...(event.files ?? []).map((file) => ({ type: file.kind, payload: { [URL_FIELD_OF_KIND[file.kind]]: file.url, title: file.name } })),
  ];
  for (const [index, message] of messages.entries()) {
    await client.getOrCreateMessage({
      conversationId: event.conversationId,
      userId: agent,
      type: message.type,
      payload: message.payload,
      tags: { bridgeEventId: index === 0 ? event.eventId : `${event.eventId}#${index}` },
      discriminateByTags: ['bridgeEventId'],
    });
  }
  return agent;
}

/**
 * The Botpress user standing for a Slack agent, with the name and picture Slack shows (updated when they
 * change): what the HITL plugin shows the customer in the webchat.
 */
async function agentUser(client: Client, slackUserId: string, name: string | undefined, pictureUrl?: string): Promise<string> {
  const { user } = await client.getOrCreateUser({ name: name ?? 'Support agent', ...(pictureUrl ? { pictureUrl } : {}), tags: { slackUserId }, discriminateByTags: ['slackUserId'] });
  const changed = { ...(name && user.name !== name ? { name } : {}), ...(pictureUrl && user.pictureUrl !== pictureUrl ? { pictureUrl } : {}) };
  if (Object.keys(changed).length > 0) await client.updateUser({ id: user.id, ...changed });
  return user.id;
}

/*
 * The session's agent and held notices live in the conversation's state. The
 * bridge sends one conversation's events one at a time (one queue group per
 * conversation and direction), so a read and the write after it do not race.
 */
const SESSION_AGENT = 'sessionAgent';
const sessionAgentOf = async (client: Client, conversationId: string) =>
  (await client.getOrSetState({ type: 'conversation', id: conversationId, name: SESSION_AGENT, payload: { held: [] } })).state.payload;

/** A notice for the customer: written as the session's agent, or held until it has one. Once per eventId. */
async function tellCustomer(client: Client, event: { conversationId: string; eventId: string }, text: string): Promise<void> {
  const session = await sessionAgentOf(client, event.conversationId);
  if (session.agentUserId !== undefined) return writeNotice(client, event.conversationId, session.agentUserId, { eventId: event.eventId, text });
  if (session.held.some((notice) => notice.eventId === event.eventId)) return;
  await client.setState({ type: 'conversation', id: event.conversationId, name: SESSION_AGENT, payload: { ...session, held: [...session.held, { eventId: event.eventId, text }] } });
}

/** The session has an agent now: the notices held for it go to the customer first, in order, then the state says who. */
async function agentKnown(client: Client, conversationId: string, agentUserId: string): Promise<void> {
  const session = await sessionAgentOf(client, conversationId);
  for (const notice of session.held) await writeNotice(client, conversationId, agentUserId, notice);
  if (session.agentUserId === agentUserId && session.held.length === 0) return;
  await client.setState({ type: 'conversation', id: conversationId, name: SESSION_AGENT, payload: { agentUserId, held: [] } });
}

async function writeNotice(client: Client, conversationId: string, agentUserId: string, notice: { eventId: string; text: string }): Promise<void> {
  await client.getOrCreateMessage({
    conversationId,
    userId: agentUserId,
    type: 'text',
    payload: { text: notice.text },
    tags: { bridgeEventId: notice.eventId },
    discriminateByTags: ['bridgeEventId'],
  });
}

function failureText(event: Extract<BridgeEvent, { type: 'customer_message_failed' }>): string {
  if (event.reason === 'file_too_large') return `Sorry, your file ${event.fileName ?? ''} is too large for our support team (at most ${Math.round((event.maxFileBytes ?? 0) / 1048576)} MB).`;
  if (event.reason === 'file_unreachable') return `Sorry, your file ${event.fileName ?? ''} could not be passed on to our support team. Please send it again.`;
  if (event.reason === 'file_not_accepted') return `Sorry, our support team cannot receive your file ${event.fileName ?? ''} here. Please describe in words what it shows.`;
  return 'Sorry, your last message did not reach our support team. Please send it again.';
}
