import { botpressChannel } from '../../shared/botpress/webhook';
import type { BotChannel } from '../../shared/domain/ports';
import type { Wiring } from './core';

/**
 * How long one POST to Botpress may take. Only the delivery function sends to
 * Botpress, outside any caller's time limit, so a webhook that is slow but
 * accepts (5 s) gets the event once rather than a timeout and a second copy.
 */
export const BOTPRESS_TIMEOUT_MS = 10_000;

/** The bot channel to the Botpress webhook, its address and secrets read for each event (they may rotate). */
export function wireBot(wiring: Pick<Wiring, 'secrets'>): BotChannel {
  return botpressChannel(async () => {
    const { botpressWebhookUrl, botpressWebhookSecret, botpressSigningSecret } = await wiring.secrets();
    return { url: botpressWebhookUrl, secret: botpressWebhookSecret, signingSecret: botpressSigningSecret, timeoutMs: BOTPRESS_TIMEOUT_MS };
  });
}
