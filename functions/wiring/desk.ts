import type { SupportDesk } from '../../shared/domain/ports';
import { logger } from '../../shared/platform/logger';
import { createSlackClient, SLACK_TIMEOUT_MS, type SlackClient } from '../../shared/slack/client';
import { SlackPacer, slackDesk } from '../../shared/slack/desk';
import { UserDirectory } from '../../shared/slack/users';
import type { Wiring } from './core';

/** How long a delivery waits for the agent's display name when it is not cached: a name is a nicety and comes next time. */
export const NAME_WAIT_MS = 1_000;

/**
 * The support desk on Slack, with the client for the current bot token.
 * `slackTimeoutMs`: per Slack call; SLACK_TIMEOUT_MS where a caller waits,
 * longer in the delivery function.
 */
export function wireDesk(wiring: Pick<Wiring, 'settings' | 'secrets' | 'pace'>, options: { readonly slackTimeoutMs?: number } = {}): SupportDesk {
  const { settings, secrets } = wiring;
  let current: { token: string; client: Promise<SlackClient> } | undefined;
  const slack = async (): Promise<SlackClient> => {
    const { slackBotToken } = await secrets();
    // A rotated token gets a fresh client; otherwise the one client (and its keep-alive connections) is reused.
    if (current?.token !== slackBotToken) {
      current = { token: slackBotToken, client: createSlackClient({ token: slackBotToken, slackApiUrl: settings.slackApiUrl, timeoutMs: options.slackTimeoutMs ?? SLACK_TIMEOUT_MS }) };
    }
    return current.client;
  };
  return slackDesk({ slack, users: new UserDirectory({ waitMs: NAME_WAIT_MS }), pacer: new SlackPacer(settings.slackPostPace, wiring.pace), slackApiUrl: settings.slackApiUrl, notePrefixes: settings.internalNotePrefixes, escalationMention: settings.escalationMention, logger });
}
