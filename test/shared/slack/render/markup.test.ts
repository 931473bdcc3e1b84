import { describe, expect, it } from 'vitest';
import { mentionedUserIds, slackMarkupToPlainText } from '../../../../shared/slack/render/markup';

const names = new Map([
  ['U061F7AUR', 'Maya (Support)'],
  ['U0G9QF9C6', 'Sam'],
]);
const render = (text: string) => slackMarkupToPlainText(text, { userName: (id) => names.get(id) });

describe('slackMarkupToPlainText', () => {
  it.each([
    ['plain text', 'Hello there', 'Hello there'],
    ['the three HTML escapes', 'a &lt; b &amp;&amp; c &gt; d', 'a < b && c > d'],
    ['an escaped escape stays literal', 'type &amp;lt; to get &lt;', 'type &lt; to get <'],
    ['a labelled link', 'See <https://help.example.com/reset|our reset guide>.', 'See our reset guide (https://help.example.com/reset).'],
    ['a bare link', 'Go to <https://example.com/a?b=1&amp;c=2>', 'Go to https://example.com/a?b=1&c=2'],
    ['a link labelled with its own URL', '<https://example.com|https://example.com>', 'https://example.com'],
    ['a mailto link', 'Write to <mailto:help@example.com|help@example.com>', 'Write to help@example.com'],
    ['a user mention with a known name', 'Hi, <@U061F7AUR> here', 'Hi, @Maya (Support) here'],
    ['a user mention with a label', 'Ask <@U0UNKNOWN|bob>', 'Ask @bob'],
    ['a user mention nobody can name', 'Ask <@U0UNKNOWN>', 'Ask @someone'],
    ['a channel mention with its name', 'Posted in <#C0SUPPORT1|support>', 'Posted in #support'],
    ['a channel mention without its name', 'Posted in <#C0SUPPORT1>', 'Posted in #channel'],
    ['special mentions', '<!here> <!channel> <!everyone>', '@here @channel @everyone'],
    ['a user group', 'cc <!subteam^S0614TZR7|@billing-team>', 'cc @billing-team'],
    ['a date with fallback text', 'Due <!date^1392734382^{date_short}|Feb 18, 2014>', 'Due Feb 18, 2014'],
    ['markup mixed with escapes in a label', '<https://x.test/q?a=1&amp;b=2|Terms &amp; conditions>', 'Terms & conditions (https://x.test/q?a=1&b=2)'],
    ['non-ASCII text', 'Grüße 👋 <@U0G9QF9C6>', 'Grüße 👋 @Sam'],
  ])('renders %s', (_case, input, expected) => {
    expect(render(input)).toBe(expected);
  });

  it('lists mentioned user ids once each, in order', () => {
    expect(mentionedUserIds('<@U1AAA> and <@W2BBB|x> and <@U1AAA> but not <#C1> or <!here>')).toEqual(['U1AAA', 'W2BBB']);
  });
});
