import type { Log } from '../platform/logger';
import { postJson } from '../platform/node-http';
import { pressNoticeText, type PressNotice } from './render/presses';

/** Where Slack's response URLs point (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses). */
const SLACK_RESPONSE_ORIGIN = 'https://hooks.slack.com';

/** A response URL answers at once; the press's request is still waiting on this. */
const RESPOND_TIMEOUT_MS = 1_000;

/**
 * Tells whoever pressed a button, privately, through the press's
 * response_url: it needs no bot token and none of the bridge's services,
 * so it works when they are what is slow. `apiOrigin` is a Slack stand-in's,
 * locally. A failure is logged: the press itself was answered.
 */
export async function tellPresser(responseUrl: string | undefined, notice: PressNotice, context: { readonly apiOrigin?: string | undefined; readonly logger: Log }): Promise<void> {
  if (!responseUrl) return;
  const origin = URL.canParse(responseUrl) ? new URL(responseUrl).origin : undefined;
  if (origin !== SLACK_RESPONSE_ORIGIN && origin !== context.apiOrigin) {
    context.logger.warn('response_url is not on Slack; not answered', { origin });
    return;
  }
  try {
    const status = await postJson(responseUrl, {}, JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: pressNoticeText(notice) }), RESPOND_TIMEOUT_MS);
    if (status !== 200) context.logger.warn('Slack refused a private answer to a press', { status });
  } catch (error) {
    context.logger.warn('could not answer a press privately', { error: error as Error });
  }
}
