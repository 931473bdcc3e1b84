import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackSignature } from '../../../shared/platform/hmac';

// Slack's worked example from "Verifying requests from Slack" (a slash command, form-encoded).
const SLACK_EXAMPLE = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

const verifyExample = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({
    signingSecret: SLACK_EXAMPLE.signingSecret,
    timestamp: SLACK_EXAMPLE.timestamp,
    signature: SLACK_EXAMPLE.signature,
    rawBody: Buffer.from(SLACK_EXAMPLE.body),
    nowSeconds: Number(SLACK_EXAMPLE.timestamp) + 10,
    ...overrides,
  });

describe('verifySlackSignature', () => {
  it("accepts Slack's documented worked example", () => {
    expect(verifyExample()).toEqual({ valid: true });
  });

  it.each([
    ['one second inside the window, in the past', -300, true],
    ['one second outside the window, in the past', -301, false],
    ['one second inside the window, in the future', 300, true],
    ['one second outside the window, in the future', 301, false],
  ])('timestamp %s', (_case, offset, valid) => {
    // Prepare: the clock is where the request's timestamp would be `offset` seconds away from it.
    const result = verifyExample({ nowSeconds: Number(SLACK_EXAMPLE.timestamp) - offset });
    expect(result.valid).toBe(valid);
    if (!valid) expect(result).toEqual({ valid: false, reason: 'stale_timestamp' });
  });

  it.each([
    ['missing timestamp', { timestamp: undefined }, 'missing_timestamp'],
    ['empty timestamp', { timestamp: '' }, 'missing_timestamp'],
    ['missing signature', { signature: undefined }, 'missing_signature'],
    ['non-numeric timestamp', { timestamp: '1531420618abc' }, 'malformed_timestamp'],
    ['signature of another length (no throw)', { signature: 'v0=abc' }, 'signature_mismatch'],
    ['signature without the v0= prefix', { signature: SLACK_EXAMPLE.signature.slice(3) }, 'signature_mismatch'],
    ['uppercase hex signature', { signature: SLACK_EXAMPLE.signature.toUpperCase() }, 'signature_mismatch'],
    ['wrong secret', { signingSecret: '8f742231b10e8888abcd99yyyzzz85a6' }, 'signature_mismatch'],
    ['body with one byte changed', { rawBody: Buffer.from(SLACK_EXAMPLE.body.replace('foobar', 'foobaz')) }, 'signature_mismatch'],
    ['re-serialised body (trailing newline)', { rawBody: Buffer.from(`${SLACK_EXAMPLE.body}\n`) }, 'signature_mismatch'],
  ] as const)('rejects a %s', (_case, overrides, reason) => {
    expect(verifyExample(overrides)).toEqual({ valid: false, reason });
  });

  it('verifies non-ASCII bodies on their UTF-8 bytes', () => {
    const body = JSON.stringify({ text: 'Grüße, 你好 — 👋 café' });
    const bytes = Buffer.from(body, 'utf8');
    const signature = signSlackRequest('secret', 1700000000, bytes);
    expect(verifySlackSignature({ signingSecret: 'secret', timestamp: '1700000000', signature, rawBody: bytes, nowSeconds: 1700000000 })).toEqual({ valid: true });
    // The same body as text (API Gateway's non-base64 body) is hashed as those same UTF-8 bytes.
    expect(verifySlackSignature({ signingSecret: 'secret', timestamp: '1700000000', signature, rawBody: body, nowSeconds: 1700000000 })).toEqual({ valid: true });
    // Decoding the bytes as latin1 (Bolt's ASCII pitfall) changes them, and the signature no longer matches.
    const mangled = Buffer.from(bytes.toString('latin1'), 'utf8');
    expect(verifySlackSignature({ signingSecret: 'secret', timestamp: '1700000000', signature, rawBody: mangled, nowSeconds: 1700000000 }).valid).toBe(false);
  });

  it('accepts exactly the signed (body, timestamp) pair and nothing else (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        fc.string(),
        (body, otherBody, timestamp, garbage) => {
          const signature = signSlackRequest('prop-secret', timestamp, body);
          const check = (rawBody: Uint8Array, sig: string | undefined) =>
            verifySlackSignature({ signingSecret: 'prop-secret', timestamp: String(timestamp), signature: sig, rawBody, nowSeconds: timestamp }).valid;
          expect(check(body, signature)).toBe(true);
          if (!Buffer.from(otherBody).equals(Buffer.from(body))) expect(check(otherBody, signature)).toBe(false);
          // Any header value at all yields an answer, never an exception.
          expect(check(body, garbage)).toBe(garbage === signature);
        },
      ),
    );
  });
});
