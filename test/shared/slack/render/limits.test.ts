import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slackRefusal } from '../../../../local/slack-api-rules';
import { CLAIM_ACTION_ID, handoffCard, RESOLVE_ACTION_ID, summaryInThread, transcriptText, TRANSCRIPT_MAX_CHARS } from '../../../../shared/slack/render/cards';
import { fitEscaped, SLACK_LIMITS, splitEscaped } from '../../../../shared/slack/render/limits';
import { escapeSlackText } from '../../../../shared/slack/render/markup';

/** Text that grows when escaped or is hard to cut: `&`, `<`, `>`, emoji (surrogate pairs, joiners), combining marks, line ends. */
const tricky = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constantFrom('&', '<', '>', '👩‍👩‍👧', '🇫🇷', 'é', 'n̈', 'a', ' ', '\n', '漢'), fc.string({ maxLength: 3 })), { maxLength })
    .map((pieces) => pieces.join(''));
const withoutMarker = (text: string, marker: string) => (text.endsWith(marker) ? text.slice(0, -marker.length) : text);
const graphemes = (text: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((part) => part.segment);

describe('fitEscaped', () => {
  it('keeps any text within the limit as sent, cut only between characters and never through an escape (property)', () => {
    fc.assert(
      fc.property(tricky(400), fc.integer({ min: 20, max: 300 }), (raw, max) => {
        const { text, cut } = fitEscaped(raw, max, '…');
        expect(text.length).toBeLessThanOrEqual(max);
        const escaped = escapeSlackText(raw);
        if (!cut) {
          expect(text).toBe(escaped);
          return;
        }
        const kept = withoutMarker(text, '…');
        // A prefix of the escaped whole, ending where a whole character of the original ends.
        expect(escaped.startsWith(kept)).toBe(true);
        const rawGraphemes = graphemes(raw);
        let prefix = '';
        const boundaries = new Set(['']);
        for (const segment of rawGraphemes) boundaries.add((prefix += escapeSlackText(segment)));
        expect(boundaries.has(kept)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('splitEscaped', () => {
  it('splits any text into posts within the limit that together are the whole escaped text, at line ends where they fit (property)', () => {
    fc.assert(
      fc.property(tricky(600), fc.integer({ min: 10, max: 200 }), (raw, max) => {
        const parts = splitEscaped(raw, max);
        for (const part of parts) expect(part.length).toBeLessThanOrEqual(max);
        expect(parts.join('')).toBe(escapeSlackText(raw));
      }),
      { numRuns: 300 },
    );
  });

  it('breaks at line ends: each post but the last ends a line when lines fit', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i} & more`);
    const parts = splitEscaped(lines.join('\n'), 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts.slice(0, -1)) expect(part.endsWith('\n')).toBe(true);
  });

  it('keeps a 40,000-character message of `&` whole, in posts of at most 40,000', () => {
    const parts = splitEscaped('&'.repeat(40_000));
    expect(parts).toHaveLength(5);
    expect(parts.every((part) => part.length <= SLACK_LIMITS.messageText)).toBe(true);
    expect(parts.join('')).toBe('&amp;'.repeat(40_000));
  });
});

describe('the handoff card', () => {
  it('is always within what Slack takes, whatever the summary, name and address hold; a shortened summary comes whole in the thread (property)', () => {
    fc.assert(
      fc.property(tricky(2_800), fc.option(tricky(200), { nil: undefined }), fc.option(tricky(300), { nil: undefined }), fc.boolean(), (summary, name, email, invalid) => {
        const card = handoffCard({ conversationId: 'conv-1', state: 'open', summary, customerName: name, customerEmail: email, customerEmailInvalid: invalid });
        expect(slackRefusal('chat.postMessage', { channel: 'C1', text: card.text, blocks: card.blocks })).toBeUndefined();
        const inThread = summaryInThread(summary);
        const shown = JSON.stringify(card.blocks);
        if (inThread === undefined) {
          expect(shown).toContain(JSON.stringify(escapeSlackText(summary)).slice(1, -1));
        } else {
          expect(shown).toContain('(the full summary is in the thread)');
          expect(inThread.join('').replace(/^\*Summary\*\n/, '')).toBe(escapeSlackText(summary));
          for (const post of inThread) expect(slackRefusal('chat.postMessage', { channel: 'C1', text: post })).toBeUndefined();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('shortens a 2,800-character summary full of `&` inside the section, marked, and says so', () => {
    const card = handoffCard({ conversationId: 'conv-1', state: 'open', summary: '&'.repeat(2_800) });
    const section = (card.blocks[2] as { text: { text: string } }).text.text;
    expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(section.endsWith(' … _(the full summary is in the thread)_')).toBe(true);
    expect(summaryInThread('&'.repeat(2_800))?.join('')).toBe(`*Summary*\n${'&amp;'.repeat(2_800)}`);
  });

  it('says when the address given is not valid, and keeps a 2,500-character one inside its field', () => {
    const card = handoffCard({ conversationId: 'c', state: 'open', summary: 's', customerName: 'Jane', customerEmail: 'x'.repeat(2_500), customerEmailInvalid: true });
    const field = (card.blocks[1] as { fields: { text: string }[] }).fields[0]!.text;
    expect(field.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    expect(field).toContain('Jane (the e-mail address given is not valid: xxx');
  });
});

describe('transcriptText', () => {
  it('shows the newest line, shortened, when it alone is too long, and counts the lines left out', () => {
    const text = transcriptText([
      { role: 'user', text: 'first' },
      { role: 'bot', text: 'second' },
      { role: 'user', text: '<'.repeat(20_000) },
    ]);
    expect(text.length).toBeLessThanOrEqual(TRANSCRIPT_MAX_CHARS);
    expect(text).toContain('_(2 earlier messages omitted)_');
    expect(text).toMatch(/\*Customer:\* (&lt;)+ … _\(shortened\)_$/);
  });
});

describe('the Resolve button', () => {
  it('asks the agent to confirm, in a dialog within Block Kit’s limits; Claim does not', () => {
    const card = handoffCard({ conversationId: 'conv-1', state: 'open', summary: 'Wants a refund' });
    const buttons = card.blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));
    expect(buttons.map((button) => [button.action_id, 'confirm' in button && button.confirm ? 'asks' : 'at once'])).toEqual([
      [CLAIM_ACTION_ID, 'at once'],
      [RESOLVE_ACTION_ID, 'asks'],
    ]);
    expect(slackRefusal('chat.postMessage', { channel: 'C1', text: card.text, blocks: card.blocks })).toBeUndefined();
    const tooLong = JSON.parse(JSON.stringify(card.blocks).replace('Keep it open', 'x'.repeat(31))) as unknown;
    expect(slackRefusal('chat.postMessage', { channel: 'C1', text: card.text, blocks: tooLong })).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });
});

describe('the queue view (Home tab)', () => {
  it('stays within Slack’s 100 blocks with the most it lists, and escapes what customers call themselves', async () => {
    const { queueView } = await import('../../../../shared/slack/render/home');
    const { QUEUE_VIEW_LIMIT } = await import('../../../../shared/domain/queue-view');
    const entry = { conversationId: 'c', channelId: 'C1', threadTs: '1.2', customerName: '<!channel> & <@U1>', openedAt: 0, waitingSince: 0 };
    const view = queueView({ handoffs: Array.from({ length: QUEUE_VIEW_LIMIT }, () => entry), more: true }, 'https://w.slack.com/', 60_000);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(view.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    expect(text).toContain(`Only the oldest ${QUEUE_VIEW_LIMIT} are listed`);
  });
});
