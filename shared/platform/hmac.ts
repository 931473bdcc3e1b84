import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Slack's documented replay window: requests older (or newer) than this are refused. */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export interface SlackSignatureInput {
  /** The secret, or a KeyObject made from it once (saves re-importing the key on every request). */
  readonly signingSecret: string | KeyObject;
  /** `X-Slack-Request-Timestamp`, as received. */
  readonly timestamp: string | undefined;
  /** `X-Slack-Signature`, as received. */
  readonly signature: string | undefined;
  /** The exact bytes Slack sent, or the text they decode to (hashed as UTF-8); never a re-serialised body. */
  readonly rawBody: Uint8Array | string;
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}

export type SlackSignatureResult =
  | { readonly valid: true }
  | {
      readonly valid: false;
      readonly reason: 'missing_timestamp' | 'missing_signature' | 'malformed_timestamp' | 'stale_timestamp' | 'signature_mismatch';
    };

/**
 * Checks Slack's request signature: `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{body}`).
 * Pure and clock-free so that every branch is testable; the reason is for logs only.
 */
export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureResult {
  const { timestamp, signature } = input;
  if (!timestamp) return { valid: false, reason: 'missing_timestamp' };
  if (!signature) return { valid: false, reason: 'missing_signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { valid: false, reason: 'malformed_timestamp' };
  // Both directions: a timestamp from the future is as suspicious as an old one.
  if (Math.abs(input.nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS)) {
    return { valid: false, reason: 'stale_timestamp' };
  }
  const expected = Buffer.from(`v0=${createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:`).update(input.rawBody).digest('hex')}`);
  const received = Buffer.from(signature);
  // timingSafeEqual throws on unequal lengths; the length of a signature is public anyway.
  const matches = received.length === expected.length && timingSafeEqual(received, expected);
  return matches ? { valid: true } : { valid: false, reason: 'signature_mismatch' };
}

/** Signs a body the way Slack does; used by the local sandbox and tests to play Slack's part. */
export function signSlackRequest(signingSecret: string, timestamp: number | string, rawBody: string | Uint8Array): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`;
}
