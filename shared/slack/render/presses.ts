import type { Notice, PressUnchanged } from '../../domain/notices';
import type { AgentActionKind } from '../../domain/ports';

/** Each button as the card labels it. */
export const ACTION_LABELS: Readonly<Record<AgentActionKind, string>> = { claim: 'Claim', release: 'Release', 'take-over': 'Take over', resolve: 'Resolve' };

/*
 * What whoever pressed Claim or Resolve is told, privately: apart from the
 * other notices, so that the Slack function (which answers presses) bundles
 * these lines only.
 */

export type PressNotice = Extract<Notice, { kind: 'press-changed-nothing' | 'press-not-confirmed' }>;

export function pressNoticeText(notice: PressNotice): string {
  if (notice.kind === 'press-not-confirmed') {
    return `:hourglass_flowing_sand: Your ${ACTION_LABELS[notice.action]} could not be confirmed in time. If the card has not changed in a moment, press it again.`;
  }
  return `:information_source: ${unchangedText(notice.action, notice.because)}`;
}

/** Why a press changed nothing. */
function unchangedText(action: AgentActionKind, because: PressUnchanged): string {
  switch (because.state) {
    case 'claimed':
      if (action === 'claim') return because.byYou ? 'You have claimed this handoff already.' : `<@${because.agentUserId}> has claimed this handoff already: press Take over to take it from them.`;
      if (action === 'take-over') return because.byYou ? 'This handoff is yours already.' : `<@${because.agentUserId}> took this handoff just before you: press Take over again to take it from them.`;
      if (action === 'release') return because.byYou ? 'This handoff changed as you pressed: press again.' : `<@${because.agentUserId}> has this handoff: only they can release it (or press Take over).`;
      return 'This handoff is open: Resolve did not go through; press it again.';
    case 'unclaimed':
      return 'Nobody has this handoff: there is nothing to release.';
    case 'resolved':
      return because.agentUserId ? `<@${because.agentUserId}> has resolved this handoff already.` : 'This handoff is resolved already.';
    case 'ended':
      return 'This handoff is over (the bot ended it, or it expired): the customer is with the bot again.';
    case 'changing':
      return 'This handoff changed as you pressed: press again.';
  }
}
