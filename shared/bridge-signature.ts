/**
 * Where each event the bridge sends Botpress carries its signature: `v0=` +
 * hex HMAC-SHA256 over `v0:{timestamp}:{body}`, the scheme Slack signs its
 * requests with (shared/slack/signature.ts), verified by botpress/integration.
 * No imports: the integration, bundled apart, reads this too.
 */
export const BRIDGE_SIGNATURE_HEADERS = { timestamp: 'x-bridge-request-timestamp', signature: 'x-bridge-signature' } as const;
