import type { Awaited, Notice } from '../../domain/notices';
import { ACTION_LABELS, pressNoticeText } from './presses';
import type { FileRefusal } from '../../domain/ports';
import { AGENT_FILE_TYPES_TEXT, FILE_LIMITS, megabytes, type MissingFileReason } from '../../domain/files/policy';
import { endReasonText } from './cards';
import { escapeSlackText } from './markup';
import { slackTime } from './time';

/** The domain's notices in Slack's words and markup. */

const NO_LONGER_CONNECTED = 'This conversation is no longer connected to a customer (the handoff was resolved, ended or has expired)';
export const NOT_CONNECTED_NOTICE = `${NO_LONGER_CONNECTED}, so your reply was not delivered.`;
/** What the agent is told of a change made where no customer is connected any more: their side stays as it was. */
export const NOT_CONNECTED_REVISION_NOTICE = {
  edited: `${NO_LONGER_CONNECTED}, so your edit was not delivered: if the customer had the message, they keep it as it was.`,
  deleted: `${NO_LONGER_CONNECTED}: if the customer had the message you deleted, they keep it.`,
} as const;

/** The internal notes' notices: what stayed in Slack, and why. */
export const NOTE_NOTICES = {
  'note-kept': ':lock: Internal note: it stays in Slack; the customer does not see it.',
  'note-edit-kept': ':lock: This was an internal note, so your edit stays in Slack too. To say it to the customer, write a new reply.',
  'reply-made-note': ':lock: The customer already has this reply as you first sent it; your edit made it an internal note, which stays in Slack.',
} as const;

/** Told to an agent who deleted a reply the customer has: the bot cannot take a message back. */
export const DELETED_REPLY_NOTICE = 'The customer already has the message you deleted: it cannot be taken back from their chat. If it was wrong, reply with the correction.';

const lateBy = (minutes: number) => (minutes < 1 ? 'less than a minute' : `${Math.round(minutes)} min`);
const press = (awaited: Extract<Awaited, { of: 'action' }>) => ACTION_LABELS[awaited.action];
const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export function noticeText(notice: Notice): string {
  switch (notice.kind) {
    case 'late':
      return notice.awaited.of === 'reply'
        ? ':hourglass_flowing_sand: Your reply has not reached the customer yet; the bridge is still trying.'
        : `:hourglass_flowing_sand: The bot has not heard of the ${press(notice.awaited)} yet; the bridge is still trying.`;
    case 'delivered-late':
      return notice.awaited.of === 'reply'
        ? `:white_check_mark: Your reply reached the customer, ${lateBy(notice.minutesLate)} late.`
        : `:white_check_mark: The bot heard of the ${press(notice.awaited)}, ${lateBy(notice.minutesLate)} late.`;
    case 'lost':
      return notice.awaited.of === 'reply'
        ? ':warning: Your reply above did not reach the customer: the bot could not be reached. Please send it again.'
        : `:warning: The bot never heard of the ${press(notice.awaited)}: it could not be reached, and the customer was not told.`;
    case 'reminder':
      return `:bell: Nobody has claimed this handoff: the customer has waited since ${slackTime(notice.waitingSince)}. Press *Claim* on the card to take it.`;
    case 'resolved':
      return `:white_check_mark: <@${notice.agentUserId}> resolved this handoff; the bot has taken the conversation back.`;
    case 'ended':
      return `:door: ${capitalize(endReasonText(notice.reason))}. Replies here no longer reach the customer.`;
    case 'not-connected':
      return notice.change ? NOT_CONNECTED_REVISION_NOTICE[notice.change] : NOT_CONNECTED_NOTICE;
    case 'deleted-reply-kept':
      return DELETED_REPLY_NOTICE;
    case 'note-kept':
    case 'note-edit-kept':
    case 'reply-made-note':
      return NOTE_NOTICES[notice.kind];
    case 'files-not-sent':
      return `:paperclip: Not sent to the customer:\n${notice.files.map((file) => `• ${escapeSlackText(file.name)}: ${refusalText(file)}`).join('\n')}`;
    case 'customer-file-missing': {
      const why = missingFileWhy(notice.reason, notice.maxBytes);
      return `:paperclip: The customer sent a file, ${escapeSlackText(notice.name)}, that is not shown here: ${why}. They have been told.`;
    }
    case 'press-changed-nothing':
    case 'press-not-confirmed':
      return pressNoticeText(notice);
  }
}

/** Why a customer's file is not in the thread, for the agents. */
function missingFileWhy(reason: MissingFileReason, maxBytes: number): string {
  switch (reason) {
    case 'too_large':
      return `it is over ${megabytes(maxBytes)}`;
    case 'unreachable':
      return 'it could not be fetched from Botpress';
    case 'no_answer':
      return `where Botpress keeps it did not answer (${FILE_LIMITS.tries} tries)`;
    case 'uploads_disabled':
      return 'this workspace does not allow file uploads';
    case 'too_large_for_desk':
      return 'this workspace does not allow files this large';
    case 'type_not_allowed':
      return 'this workspace does not allow files of this type';
  }
}

/** Why an agent's file did not go to the customer, for the agent. */
function refusalText(refusal: FileRefusal): string {
  switch (refusal.refused) {
    case 'too-many':
      return `only ${refusal.max} files go with one message`;
    case 'deleted':
      return 'it was deleted before the bridge could send it';
    case 'unreadable':
      return 'the bridge could not read it from Slack';
    case 'not-fetched':
      return `Slack did not hand it to the bridge in ${refusal.tries} tries: share it again`;
    case 'external':
      return 'it is a link to another service, not a file kept in Slack: paste the link instead';
    case 'type':
      return `files of type ${refusal.mimetype} are not sent to customers (only ${AGENT_FILE_TYPES_TEXT})`;
    case 'too-large':
      return refusal.bytes === undefined
        ? `it is over the ${megabytes(refusal.maxBytes)} files may be`
        : `it is ${megabytes(refusal.bytes)}, over the ${megabytes(refusal.maxBytes)} files may be`;
  }
}
