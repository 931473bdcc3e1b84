import type { Button, ConfirmationDialog, KnownBlock } from '@slack/web-api';
import type { CardView, TranscriptLine } from '../../domain/ports';
import { fitEscaped, SLACK_LIMITS, splitEscaped } from './limits';
import { escapeSlackText } from './markup';
import { neutralised } from '../../domain/plain-text';
import { slackTime } from './time';

export const CLAIM_ACTION_ID = 'handoff_claim';
export const RELEASE_ACTION_ID = 'handoff_release';
export const TAKE_OVER_ACTION_ID = 'handoff_take_over';
export const RESOLVE_ACTION_ID = 'handoff_resolve';

/** Block Kit's confirmation dialog on Take over: it takes the customer from a colleague (the card names them). */
const TAKE_OVER_CONFIRM: ConfirmationDialog = {
  title: { type: 'plain_text', text: 'Take this handoff over?' },
  text: { type: 'plain_text', text: 'A colleague has it. You will have it instead, and the customer hears that an agent joined.' },
  confirm: { type: 'plain_text', text: 'Take over' },
  deny: { type: 'plain_text', text: 'Cancel' },
};

/** Block Kit's confirmation dialog on Resolve. */
const RESOLVE_CONFIRM: ConfirmationDialog = {
  title: { type: 'plain_text', text: 'Resolve this handoff?' },
  text: { type: 'plain_text', text: 'The bot takes the conversation back, and replies in this thread no longer reach the customer.' },
  confirm: { type: 'plain_text', text: 'Resolve' },
  deny: { type: 'plain_text', text: 'Keep it open' },
  style: 'danger',
};

const SUMMARY_LABEL = '*Summary*\n';
const CUSTOMER_LABEL = '*Customer*\n';
const SUMMARY_CUT = ' … _(the full summary is in the thread)_';

export interface SlackMessageContent {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/**
 * The handoff card posted as the thread's parent: who the customer is, the
 * bot's summary, the state, and the Claim / Resolve buttons while it is open.
 * The buttons carry the conversation id, so an action needs no lookup to find it.
 * Every part is kept inside Slack's limits as sent, escapes included: a summary
 * too long for its section is shortened with a marker, and summaryInThread
 * gives the whole of it for the thread.
 */
export function handoffCard(view: CardView, notePrefixes: readonly string[] = [], now = Date.now()): SlackMessageContent {
  const customer = customerLabel(view);
  const status = statusLine(view, now);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Customer asked for a human', emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `${CUSTOMER_LABEL}${customer}` },
        // Conversation ids are at most 256 characters (shared/botpress/contract.ts): escaped, well inside a field.
        { type: 'mrkdwn', text: `*Conversation*\n\`${escapeSlackText(view.conversationId)}\`` },
        // The queue asked for (a short name, contract.ts); one with no channel of its own came to this one, and says so.
        ...(view.queue ? [{ type: 'mrkdwn' as const, text: `*Queue*\n${escapeSlackText(view.queue)}${view.queueUnrouted ? ' _(no channel of its own: sent here)_' : ''}` }] : []),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `${SUMMARY_LABEL}${fitEscaped(view.summary, SLACK_LIMITS.sectionText - SUMMARY_LABEL.length, SUMMARY_CUT).text}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: status }] },
  ];
  // Where agents work: how to talk to colleagues without the customer reading it (shared/domain/internal-notes.ts).
  if (view.state === 'open' && notePrefixes.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: noteHint(notePrefixes) }] });
  if (view.state === 'open') {
    const buttons: Button[] = [];
    const button = (actionId: string, text: string): Button => ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value: view.conversationId });
    if (!view.claimedBy) {
      buttons.push({ ...button(CLAIM_ACTION_ID, 'Claim'), style: 'primary' });
    } else {
      // One card for everyone: its holder releases it (off shift), a colleague takes it over; each press is checked against who has it.
      buttons.push(button(RELEASE_ACTION_ID, 'Release'), { ...button(TAKE_OVER_ACTION_ID, 'Take over'), confirm: TAKE_OVER_CONFIRM });
    }
    // Resolving cannot be undone: Slack asks the agent first.
    buttons.push({ type: 'button', action_id: RESOLVE_ACTION_ID, text: { type: 'plain_text', text: 'Resolve' }, value: view.conversationId, confirm: RESOLVE_CONFIRM });
    blocks.push({ type: 'actions', block_id: 'handoff_actions', elements: buttons });
  }
  // `text` is the notification and screen-reader fallback; it must say the same as the blocks.
  return { text: `Handoff from ${customer}: ${status}`, blocks };
}

/** How to write an internal note, for the card: the prefixes as agents type them. */
export function noteHint(notePrefixes: readonly string[]): string {
  const shown = notePrefixes.slice(0, 3).map((prefix) => `\`${escapeSlackText(prefix)}\``);
  return `:speech_balloon: Replies in the thread go to the customer. :lock: Start one with ${shown.join(' or ')} for a note to colleagues only.`;
}

/** The summary's whole text for the thread, in as many posts as it takes, when the card could not hold it. */
export function summaryInThread(summary: string): string[] | undefined {
  if (!fitEscaped(summary, SLACK_LIMITS.sectionText - SUMMARY_LABEL.length, SUMMARY_CUT).cut) return undefined;
  const [first = '', ...rest] = splitEscaped(summary, SLACK_LIMITS.messageText - SUMMARY_LABEL.length);
  return [`${SUMMARY_LABEL}${first}`, ...rest];
}

/** Who a customer's post in the thread is from: their name, marked as the customer's, within what Slack shows of a username. */
export function customerUsername(name: string | undefined): string {
  // Slack shows a username as plain text: nothing to escape, but a bidi override could turn "(customer)" around.
  return name ? `${[...neutralised(name).trim()].slice(0, 60).join('')} (customer)` : 'Website visitor';
}

function customerLabel(view: CardView): string {
  const name = view.customerName === undefined ? 'Website visitor' : neutralised(view.customerName);
  const email = view.customerEmail === undefined ? '' : view.customerEmailInvalid ? ` (the e-mail address given is not valid: ${view.customerEmail})` : ` (${view.customerEmail})`;
  // Names are at most 200 characters and addresses 254, but escaped they can outgrow a field.
  return fitEscaped(`${name}${email}`, SLACK_LIMITS.fieldText - CUSTOMER_LABEL.length, '…').text;
}

/** How long the customer has waited, as of this rendering: the card is rendered again at each reminder. */
function waited(since: number | undefined, now: number): string {
  if (since === undefined) return '';
  const minutes = Math.floor((now - since) / 60_000);
  return ` since ${slackTime(since)}${minutes >= 1 ? ` (${minutes} min)` : ''}`;
}

function statusLine(view: CardView, now: number): string {
  if (view.state === 'open') return view.claimedBy ? `:raising_hand: Claimed by <@${view.claimedBy}>` : `:hourglass_flowing_sand: Waiting for an agent${waited(view.waitingSince, now)}`;
  if (view.closedReason === 'resolved') return `:white_check_mark: Resolved by <@${view.closedBy}>; the bot takes the conversation back`;
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

/** Keeps the newest lines that fit: Slack's message limit is 40,000 characters, and long walls of text help no one. */
export const TRANSCRIPT_MAX_CHARS = 12_000;

const TRANSCRIPT_TITLE = ':scroll: *Conversation so far*';
const LINE_CUT = ' … _(shortened)_';

const speaker = (line: TranscriptLine) => `*${line.role === 'user' ? 'Customer' : 'Bot'}:* `;
// Room for the title, the omitted-lines note and the line breaks.
const TRANSCRIPT_BUDGET = TRANSCRIPT_MAX_CHARS - TRANSCRIPT_TITLE.length - 60;

/** The transcript lines, newest first, as they will show: the newest, if it alone is too long, shortened, so that something of it always does. */
function renderNewest(lines: readonly TranscriptLine[]): string[] {
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!;
    const room = TRANSCRIPT_BUDGET - size - speaker(line).length - 1;
    const fitted = fitEscaped(line.text, kept.length === 0 ? room : Number.POSITIVE_INFINITY, LINE_CUT);
    if (fitted.text.length > room) break;
    kept.push(`${speaker(line)}${fitted.text}`);
    size += speaker(line).length + fitted.text.length + 1;
  }
  return kept;
}

/** The lines transcriptText will show, no more: what the delivery queue needs to carry. */
export function newestLinesThatFit(lines: readonly TranscriptLine[]): TranscriptLine[] {
  return lines.slice(lines.length - renderNewest(lines).length);
}

/** The transcript's newest lines that fit; `omittedBefore` earlier ones are counted as left out, besides those that do not fit. */
export function transcriptText(lines: readonly TranscriptLine[], omittedBefore = 0): string {
  const kept = renderNewest(lines).reverse();
  const omitted = omittedBefore + lines.length - kept.length;
  return [TRANSCRIPT_TITLE, ...(omitted > 0 ? [`_(${omitted} earlier messages omitted)_`] : []), ...kept].join('\n');
}
