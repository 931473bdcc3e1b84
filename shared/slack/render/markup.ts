/**
 * Slack's message markup (mrkdwn control sequences and HTML-style escapes)
 * rendered as plain text a website visitor can read.
 * https://api.slack.com/reference/surfaces/formatting
 */
export interface MarkupNames {
  /** A display name for a user id, when known (resolved by the caller; this module does no I/O). */
  readonly userName?: (userId: string) => string | undefined;
}

const SPECIAL_MENTIONS: Readonly<Record<string, string>> = { here: '@here', channel: '@channel', everyone: '@everyone' };

export function slackMarkupToPlainText(text: string, names: MarkupNames = {}): string {
  const rendered = text.replace(/<([^<>]*)>/g, (_match, inner: string) => renderControlSequence(inner, names));
  return unescapeSlackText(rendered);
}

/** The user ids mentioned as `<@U…>`, so that the caller can resolve their names first. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((match) => match[1]!))];
}

function renderControlSequence(inner: string, names: MarkupNames): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);

  switch (target[0]) {
    case '@': {
      const name = names.userName?.(target.slice(1)) ?? label;
      return name ? `@${name.replace(/^@/, '')}` : '@someone';
    }
    case '#':
      return label ? `#${label}` : '#channel';
    case '!': {
      const command = target.slice(1);
      if (SPECIAL_MENTIONS[command]) return SPECIAL_MENTIONS[command];
      // <!subteam^S123|@support>, <!date^1392734382^{date}|Feb 18th>: the label is Slack's own fallback text.
      return label ?? '';
    }
    default:
      return renderLink(target, label);
  }
}

function renderLink(url: string, label: string | undefined): string {
  const shown = url.startsWith('mailto:') ? url.slice('mailto:'.length) : url;
  if (!label || label === url || label === shown) return shown;
  return `${label} (${shown})`;
}

/** Slack escapes only these three; `&amp;` goes last so that `&amp;lt;` stays the literal `&lt;`. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * The inverse direction: text from the customer or the bot, made safe to post
 * to Slack. Without it a customer could write `<!channel>` and ping everyone,
 * or disguise a link.
 */
export function escapeSlackText(text: string): string {
  // Half an emoji (a lone surrogate) cannot be encoded for the Web API at all: it becomes U+FFFD, and the rest goes as it is.
  return text.toWellFormed().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
