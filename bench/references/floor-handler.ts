import { createHmac, timingSafeEqual } from 'node:crypto';
import { createAcceptJob } from './accept-job';
import { SECRETS } from '../../shared/platform/settings';

/**
 * The floor: the Slack path with nothing but node:crypto, @aws-sdk/lib-dynamodb
 * and @aws-sdk/client-sqs. No middleware, no logger, no metrics: the
 * near-minimal cost of the same job. A benchmark reference only.
 */
const signingSecret = process.env[SECRETS.slackSigningSecret.env]!;
const accept = createAcceptJob('floor');

interface Event {
  headers: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
}

export async function handler(event: Event): Promise<{ statusCode: number; body: string }> {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  const timestamp = event.headers['x-slack-request-timestamp'];
  const signature = event.headers['x-slack-signature'];
  if (!timestamp || !signature || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return { statusCode: 401, body: '' };
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`);
  const received = Buffer.from(signature);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { statusCode: 401, body: '' };

  const payload = JSON.parse(raw.toString('utf8')) as { type: string; challenge?: string; event_id: string; event: Record<string, string | undefined> };
  if (payload.type === 'url_verification') return { statusCode: 200, body: payload.challenge ?? '' };
  const message = payload.event;
  if (message.type !== 'message' || message.subtype || message.bot_id || message.app_id || !message.thread_ts || message.thread_ts === message.ts) {
    return { statusCode: 200, body: '' };
  }
  try {
    await accept({ channel: message.channel!, ts: message.ts!, threadTs: message.thread_ts, user: message.user!, text: message.text ?? '' });
    return { statusCode: 200, body: '' };
  } catch {
    return { statusCode: 503, body: '' };
  }
}
