import type { HomeView, KnownBlock } from '@slack/web-api';
import type { OpenQueue, QueueEntry } from '../../domain/ports';
import { neutralised } from '../../domain/plain-text';
import { escapeSlackText } from './markup';
import { slackTime } from './time';

/*
 * The app's Home tab as the queue view: the open handoffs, oldest first, each
 * with its customer, channel, how long it has waited or who has it, and a
 * link to its thread. Within Slack's 100 blocks a view may hold: one section
 * per handoff (QUEUE_VIEW_LIMIT of them) and four around them.
 */

/** A message's permalink (https://docs.slack.dev/reference/methods/chat.getPermalink), composed from the workspace's URL (auth.test): no call per handoff. */
export const permalink = (workspaceUrl: string, channelId: string, ts: string): string => `${workspaceUrl.replace(/\/?$/, '/')}archives/${channelId}/p${ts.replace('.', '')}`;

export function queueView(queue: OpenQueue, workspaceUrl: string, now: number): HomeView {
  const count = queue.handoffs.length;
  const summary =
    count === 0 ? 'No handoff is open. :tada:' : `${count}${queue.more ? '+' : ''} open, oldest first. Updated at ${slackTime(now)}; open this tab again to refresh.`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Open handoffs', emoji: true } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: summary }] },
    { type: 'divider' },
    ...queue.handoffs.map((entry) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: entryText(entry, workspaceUrl, now) } })),
  ];
  if (queue.more) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Only the oldest ${count} are listed; newer ones wait in their channels.` }] });
  return { type: 'home', blocks };
}

function entryText(entry: QueueEntry, workspaceUrl: string, now: number): string {
  const customer = entry.customerName === undefined ? 'Website visitor' : escapeSlackText([...neutralised(entry.customerName)].slice(0, 80).join(''));
  const minutes = (since: number) => `${Math.max(0, Math.floor((now - since) / 60_000))} min`;
  const state =
    entry.claimedBy === undefined
      ? `:hourglass_flowing_sand: Waiting for an agent since ${slackTime(entry.waitingSince ?? entry.openedAt)} (${minutes(entry.waitingSince ?? entry.openedAt)})`
      : `:raising_hand: <@${entry.claimedBy}> has it · opened ${minutes(entry.openedAt)} ago`;
  return `*${customer}* in <#${entry.channelId}> · <${permalink(workspaceUrl, entry.channelId, entry.threadTs)}|Open thread>\n${state}`;
}
