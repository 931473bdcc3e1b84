import type { Button, KnownBlock } from '@slack/web-api';
import type { Handoff } from '../thread-store';
import { escapeSlackText } from './markup';

export const CLAIM_ACTION_ID = 'handoff_claim';
export const RESOLVE_ACTION_ID = 'handoff_resolve';

/** What a card shows; a Handoff, or the details of one about to be opened. */
export type CardView = Pick<Handoff, 'conversationId' | 'summary' | 'customerName' | 'customerEmail' | 'claimedBy' | 'closedBy' | 'closedReason'> & {
  readonly state: Handoff['state'];
};

export interface SlackMessageContent {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/**
 * The handoff card posted as the thread's parent: who the customer is, the
 * bot's summary, the state, and the Claim / Resolve buttons while it is open.
 * The buttons carry the conversation id, so an action needs no lookup to find it.
 */
export function handoffCard(view: CardView): SlackMessageContent {
  const customer = customerLabel(view);
  const status = statusLine(view);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Customer asked for a human', emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Customer*\n${customer}` },
        { type: 'mrkdwn', text: `*Conversation*\n\`${escapeSlackText(view.conversationId)}\`` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Summary*\n${escapeSlackText(view.summary)}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: status }] },
  ];
  if (view.state === 'open') {
    const buttons: Button[] = [];
    if (!view.claimedBy) {
      buttons.push({ type: 'button', action_id: CLAIM_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Claim' }, value: view.conversationId });
    }
    buttons.push({ type: 'button', action_id: RESOLVE_ACTION_ID, text: { type: 'plain_text', text: 'Resolve' }, value: view.conversationId });
    blocks.push({ type: 'actions', block_id: 'handoff_actions', elements: buttons });
  }
  // `text` is the notification and screen-reader fallback; it must say the same as the blocks.
  return { text: `Handoff from ${customer}: ${status}`, blocks };
}

function customerLabel(view: CardView): string {
  const name = view.customerName ? escapeSlackText(view.customerName) : 'Website visitor';
  return view.customerEmail ? `${name} (${escapeSlackText(view.customerEmail)})` : name;
}

function statusLine(view: CardView): string {
  if (view.state === 'open') return view.claimedBy ? `:raising_hand: Claimed by <@${view.claimedBy}>` : ':hourglass_flowing_sand: Waiting for an agent';
  if (view.closedReason === 'resolved') return `:white_check_mark: Resolved by <@${view.closedBy}>`;
  return `:door: Ended: ${endReasonText(view.closedReason)}`;
}

export function endReasonText(reason: string | undefined): string {
  switch (reason) {
    case 'user_ended':
      return 'the customer ended the conversation';
    case 'timeout':
      return 'the conversation timed out';
    case undefined:
    case '':
      return 'the conversation ended';
    default:
      return escapeSlackText(reason);
  }
}

export interface TranscriptLine {
  readonly role: 'user' | 'bot';
  readonly text: string;
}

/** Keeps the newest lines that fit: Slack's message limit is 40,000 characters, and long walls of text help no one. */
export const TRANSCRIPT_MAX_CHARS = 12_000;

export function transcriptText(lines: readonly TranscriptLine[]): string {
  const rendered = lines.map((line) => `*${line.role === 'user' ? 'Customer' : 'Bot'}:* ${escapeSlackText(line.text)}`);
  const kept: string[] = [];
  let size = 0;
  for (let i = rendered.length - 1; i >= 0; i -= 1) {
    const line = rendered[i]!;
    if (size + line.length + 1 > TRANSCRIPT_MAX_CHARS) break;
    kept.unshift(line);
    size += line.length + 1;
  }
  const omitted = rendered.length - kept.length;
  return [':scroll: *Conversation so far*', ...(omitted > 0 ? [`_(${omitted} earlier messages omitted)_`] : []), ...kept].join('\n');
}
