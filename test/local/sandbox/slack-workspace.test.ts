import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackWorkspace } from '../../../local/sandbox/slack-workspace';
import { createSlackClient, type SlackClient } from '../../../shared/slack/client';

let workspace: SlackWorkspace;
let slack: SlackClient;
beforeAll(async () => {
  workspace = new SlackWorkspace({ signingSecret: 'sandbox-secret', botToken: 'xoxb-sandbox', channelId: 'C0SANDBOX1' });
  slack = await createSlackClient({ token: 'xoxb-sandbox', slackApiUrl: await workspace.start() });
});
afterAll(() => workspace.close());

describe('the sandbox Slack workspace', () => {
  it('deletes the bot’s message on chat.delete, as Slack does, and says when there is none', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0SANDBOX1', text: 'A card' });
    expect(workspace.messages.map((message) => message.ts)).toContain(posted.ts);

    await expect(slack.chat.delete({ channel: 'C0SANDBOX1', ts: posted.ts! })).resolves.toMatchObject({ ok: true, ts: posted.ts });
    expect(workspace.messages.map((message) => message.ts)).not.toContain(posted.ts);
    await expect(slack.chat.delete({ channel: 'C0SANDBOX1', ts: posted.ts! })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });
});
