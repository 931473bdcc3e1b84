import { createServer, type AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSettings } from '../../shared/platform/config';
import { deliveryPolicy } from '../../shared/domain/delivery/policy';
import { deliver, type DeliveryDependencies, type RetryDelivery } from '../../shared/domain/delivery/attempt';
import { agentReplyKey, type DeliveryJob } from '../../shared/domain/delivery/jobs';
import { fileLink, fileLinkKey } from '../../shared/domain/files/links';
import { FILE_LIMITS } from '../../shared/domain/files/policy';
import type { HttpResponse } from '../../shared/platform/http';
import { wireBot } from '../../functions/wiring/bot';
import { wire } from '../../functions/wiring/core';
import { wireDesk } from '../../functions/wiring/desk';
import { deliveryFiles } from '../../functions/wiring/files';
import { AGENT, SUPPORT_CHANNEL, eventCallback, fileShare } from '../fixtures/slack-events';
import { BOT_TOKEN, BRIDGE_TOKEN, PUBLIC_URL, seedHandoff, startBridgeHarness, type BridgeHarness } from '../support/bridge-harness';
import { botpressRequest } from '../support/botpress-requests';
import { signedSlackRequest } from '../support/slack-requests';

/*
 * Files both ways, through the real handlers and the delivery function:
 * Slack's file API and files.slack.com (the Slack stand-in, which answers a
 * request without files:read with its sign-in page), S3 (s3rver behind a
 * front that checks Signature Version 4 and refuses anonymous reads), and a
 * Botpress that keeps the customers' files.
 */
let bridge: BridgeHarness;
let slackEvents: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let botpress: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let n = 0;

beforeAll(async () => {
  bridge = await startBridgeHarness();
  slackEvents = await bridge.loadHandler('../../functions/slack-events/handler');
  botpress = await bridge.loadHandler('../../functions/botpress-callbacks/handler');
});
afterAll(() => bridge.close());
beforeEach(async () => {
  await bridge.runDeliveries();
  bridge.slack.calls.length = 0;
  bridge.slack.uploads.length = 0;
  bridge.botpress.delivered.length = 0;
  bridge.botpress.received.length = 0;
});

/** A PNG's signature and some bytes: what matters is that they arrive unchanged. */
const png = (size: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(size - 8, 7)]);

async function liveThread(): Promise<{ conversationId: string; threadTs: string }> {
  n += 1;
  const threadTs = `1717800000.${String(n).padStart(6, '0')}`;
  await seedHandoff(bridge.store, `conv-files-${n}`, threadTs);
  return { conversationId: `conv-files-${n}`, threadTs };
}

/** An agent shares the files, with or without text, in the thread. */
async function agentShares(threadTs: string, text: string, files: Record<string, { name: string; mimetype: string; content: Buffer; mode?: 'external'; redirect?: string }>) {
  for (const [id, file] of Object.entries(files)) bridge.slack.files.set(id, file);
  const event = { ...fileShare(text), thread_ts: threadTs, files: Object.keys(files).map((id) => ({ id, name: files[id]!.name, mimetype: files[id]!.mimetype })) };
  expect((await slackEvents(signedSlackRequest(JSON.stringify(eventCallback(event))))).statusCode).toBe(200);
  await bridge.runDeliveries();
}

/** What API Gateway hands the function for a customer's browser opening the link (GET /files/{proxy+}). */
function browserOpens(link: string): APIGatewayProxyEventV2 {
  const url = new URL(link);
  return {
    version: '2.0',
    routeKey: 'GET /files/{proxy+}',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { 'user-agent': 'Mozilla/5.0', accept: 'image/avif,image/webp,*/*' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'bridge',
      http: { method: 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: 'GET /files/{proxy+}',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

const ephemeralTexts = () => bridge.slack.callsTo('chat.postEphemeral').map((call) => String(call.args.text));

describe("an agent's file, for the customer", () => {
  it('reaches Botpress as a link that works without Slack: the link redirects to the file, which arrives byte for byte; S3 itself is closed', async () => {
    const { conversationId, threadTs } = await liveThread();
    const content = png(300_000);
    await agentShares(threadTs, 'Here is the screenshot', { F0SHOT0001: { name: 'error screen.png', mimetype: 'image/png', content } });

    const [delivered] = bridge.botpress.deliveredBodies() as { text: string; files: { name: string; mimetype: string; size: number; kind: string; url: string }[]; conversationId: string }[];
    expect(delivered).toMatchObject({ type: 'agent_message', conversationId, text: 'Here is the screenshot' });
    expect(delivered!.files).toEqual([{ name: 'error screen.png', mimetype: 'image/png', size: content.length, kind: 'image', url: expect.stringMatching(/^https:\/\/bridge\.test\/files\/F0SHOT0001\/error%20screen\.png\?expires=\d+&signature=/) as string }]);
    // The bot token went to Slack's file URL, and nowhere else.
    expect(bridge.slack.callsTo('files.info')).toEqual([expect.objectContaining({ args: { file: 'F0SHOT0001' } })]);

    const opened = await botpress(browserOpens(delivered!.files[0]!.url));
    expect(opened.statusCode).toBe(302);
    expect(opened.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    const location = String(opened.headers!.location);
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''error%20screen.png");
    expect(Buffer.from(await file.arrayBuffer()).equals(content)).toBe(true);
    // Without the signature S3 answers as it does for a private bucket.
    expect((await fetch(location.split('?')[0]!)).status).toBe(403);
    expect(bridge.s3.refusals.at(-1)).toMatchObject({ code: 'AccessDenied' });
  });

  it('sends a file shared alone (no text): the customer gets the file, not an empty message', async () => {
    const { threadTs } = await liveThread();
    await agentShares(threadTs, '', { F0ALONE001: { name: 'invoice.pdf', mimetype: 'application/pdf', content: Buffer.from('%PDF-1.7 invoice') } });
    expect(bridge.botpress.deliveredBodies()).toEqual([expect.objectContaining({ text: '', files: [expect.objectContaining({ name: 'invoice.pdf', kind: 'file' })] })]);
  });

  it('answers a link whose signature or file was changed with a 404 that says nothing, and an expired one with a 410', async () => {
    const { threadTs } = await liveThread();
    await agentShares(threadTs, 'doc', { F0LINK0001: { name: 'terms.pdf', mimetype: 'application/pdf', content: Buffer.from('%PDF terms') } });
    const url = (bridge.botpress.deliveredBodies()[0] as { files: { url: string }[] }).files[0]!.url;
    for (const forged of [url.replace(/signature=.{4}/, 'signature=AAAA'), url.replace('F0LINK0001', 'F0OTHER001'), url.replace(/expires=\d+/, 'expires=4102444800')]) {
      expect(await botpress(browserOpens(forged))).toMatchObject({ statusCode: 404, body: '{"error":"not_found"}' });
    }
    const expired = fileLink(PUBLIC_URL, { fileId: 'F0LINK0001', name: 'terms.pdf' }, Math.floor(Date.now() / 1000) - 1, fileLinkKey(BRIDGE_TOKEN));
    expect(await botpress(browserOpens(expired))).toMatchObject({ statusCode: 410, body: expect.stringContaining('expired') as string });
    // The other routes still want the bridge token.
    expect((await botpress(botpressRequest('/botpress/end', { conversationId: 'c' }, null))).statusCode).toBe(401);
  });

  it('tells the agent, privately, which files the customer did not get and why; the rest goes', async () => {
    const { threadTs } = await liveThread();
    await agentShares(threadTs, 'Three files', {
      F0OKAY0001: { name: 'photo.jpg', mimetype: 'image/jpeg', content: Buffer.from('jpeg bytes') },
      F0SVG00001: { name: 'logo.svg', mimetype: 'image/svg+xml', content: Buffer.from('<svg onload="alert(1)"/>') },
      F0HUGE0001: { name: 'backup.zip', mimetype: 'application/zip', content: Buffer.alloc(FILE_LIMITS.maxBytes + 1) },
      F0GDRIVE01: { name: 'Plan', mimetype: 'application/vnd.google-apps.document', content: Buffer.alloc(0), mode: 'external' },
    });
    expect(bridge.botpress.deliveredBodies()).toEqual([expect.objectContaining({ text: 'Three files', files: [expect.objectContaining({ name: 'photo.jpg' })] })]);
    const [notice] = ephemeralTexts();
    expect(notice).toContain('Not sent to the customer');
    expect(notice).toContain('logo.svg: files of type image/svg+xml are not sent to customers');
    expect(notice).toContain('backup.zip: it is 20 MB, over the 20 MB files may be');
    expect(notice).toContain('Plan: it is a link to another service');
    expect(bridge.slack.callsTo('chat.postEphemeral')[0]!.args).toMatchObject({ channel: SUPPORT_CHANNEL, user: AGENT, thread_ts: threadTs });
  });

  it('holds the reply for three tries only when Slack does not hand a file over (files.info failing): then the text and the other file go, and the agent hears which did not', async () => {
    const { conversationId, threadTs } = await liveThread();
    bridge.slack.files.set('F0FINE0001', { name: 'fine.png', mimetype: 'image/png', content: png(64) });
    bridge.slack.files.set('F0STUCK001', { name: 'stuck.pdf', mimetype: 'application/pdf', content: Buffer.from('%PDF') });
    const reply = { eventId: `Ev-stuck-${n}`, channelId: SUPPORT_CHANNEL, threadTs, messageTs: `1717900000.${String(n).padStart(6, '0')}`, userId: AGENT, markup: 'Two files', files: [{ id: 'F0STUCK001' }, { id: 'F0FINE0001' }] };
    const job: DeliveryJob = { kind: 'agent-reply', key: agentReplyKey(reply), conversationId, reply };
    // Slack's files.info fails for one file only, as a transient internal_error would.
    const deps = deliveryDependencies();
    const describeFile = deps.desk.describeFile.bind(deps.desk);
    const flaky = { ...deps, desk: { ...deps.desk, describeFile: (id: string) => (id === 'F0STUCK001' ? (bridge.slack.failing.set('files.info', 'internal_error'), describeFile(id).finally(() => bridge.slack.failing.delete('files.info'))) : describeFile(id)) } };

    expect(await attempts(job, 3, flaky)).toEqual([...FILE_LIMITS.retryDelaysMs, 'delivered']);
    expect(bridge.botpress.deliveredBodies()).toEqual([expect.objectContaining({ text: 'Two files', files: [expect.objectContaining({ name: 'fine.png' })] })]);
    expect(ephemeralTexts()).toEqual([expect.stringContaining('F0STUCK001: Slack did not hand it to the bridge in 3 tries: share it again') as string]);
  });

  it('follows a redirect of the download within Slack (Enterprise Grid), token and all, and no further', async () => {
    const { threadTs } = await liveThread();
    const diagram = png(500);
    await agentShares(threadTs, 'Grid files', {
      F0GRID0001: { name: 'diagram.png', mimetype: 'image/png', content: diagram, redirect: 'edge' },
      F0AWAY0001: { name: 'away.png', mimetype: 'image/png', content: png(50), redirect: 'https://files.attacker.example/collect' },
    });
    expect(bridge.botpress.deliveredBodies()).toEqual([expect.objectContaining({ text: 'Grid files', files: [expect.objectContaining({ name: 'diagram.png', size: diagram.length })] })]);
    expect(bridge.slack.edgeDownloads).toEqual([{ fileId: 'F0GRID0001', authorization: `Bearer ${BOT_TOKEN}` }]);
    expect(ephemeralTexts()).toEqual([expect.stringContaining('away.png: the bridge could not read it from Slack') as string]);
  });

  it('without the files:read scope: the text goes, and the agent hears the file could not be read', async () => {
    const { threadTs } = await liveThread();
    bridge.slack.scopes.delete('files:read');
    try {
      await agentShares(threadTs, 'See attached', { F0NOSCOPE1: { name: 'a.png', mimetype: 'image/png', content: png(100) } });
    } finally {
      bridge.slack.scopes.add('files:read');
    }
    expect(bridge.botpress.deliveredBodies()).toEqual([expect.not.objectContaining({ files: expect.anything() as unknown })]);
    expect(ephemeralTexts()[0]).toContain('the bridge could not read it from Slack');
  });
});

/** The delivery function's dependencies, for tests that make its attempts one by one (deliver), as SQS would after each delay. */
function deliveryDependencies(now?: () => number): DeliveryDependencies {
  const settings = readSettings(process.env, ['supportChannelId', 'fileBucket', 'publicUrl']);
  const runtime = wire(settings, { secrets: ['slackBotToken', 'botpressWebhookUrl', 'botpressWebhookSecret', 'bridgeApiToken'] });
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  return {
    ...runtime,
    desk: wireDesk(runtime),
    bot: wireBot(runtime),
    logger: silent,
    policy: deliveryPolicy(15 * 60_000, 1000),
    supportChannelId: settings.supportChannelId,
    queueChannels: settings.queueChannels,
    files: deliveryFiles(settings, runtime.secrets),
    ...(now ? { now } : {}),
  };
}

/** Attempts at a job, one after the other as its retries would come: each one's outcome, or the delay it asked for. */
async function attempts(job: DeliveryJob, count: number, deps = deliveryDependencies()): Promise<(string | number)[]> {
  const outcomes: (string | number)[] = [];
  for (let i = 1; i <= count; i += 1) {
    outcomes.push(await deliver(job, { id: 'message-1', receiveCount: i, queuedAt: Date.now() }, deps).then((result) => result.outcome, (error: unknown) => (error as RetryDelivery).delayMs));
  }
  return outcomes;
}

describe("a customer's file, for the agents", () => {
  async function openConversation(): Promise<{ conversationId: string; threadTs: string }> {
    n += 1;
    const conversationId = `conv-customer-files-${n}`;
    const opened = await botpress(botpressRequest('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Sends a photo', customer: { name: 'Jane Doe' } }));
    await bridge.runDeliveries();
    bridge.slack.calls.length = 0;
    return { conversationId, threadTs: (JSON.parse(opened.body!) as { threadTs: string }).threadTs };
  }
  const message = (body: unknown) => botpress(botpressRequest('/botpress/message', body));

  it('is uploaded into the thread after the text, byte for byte, saying who sent it', async () => {
    const { conversationId, threadTs } = await openConversation();
    const photo = Buffer.from('\xff\xd8\xff\xe0 a jpeg', 'latin1');
    bridge.botpress.hostedFiles.set('broken-box.jpg', { content: photo, contentType: 'image/jpeg' });
    const answer = await message({ conversationId, text: 'It arrived like this', messageId: 'cf-1', files: [{ url: bridge.botpress.fileUrl('broken-box.jpg'), kind: 'image' }] });
    expect(JSON.parse(answer.body!)).toEqual({ handoffActive: true });
    await bridge.runDeliveries();

    expect(bridge.slack.callsTo('chat.postMessage').map((call) => call.args.text)).toEqual(['It arrived like this']);
    expect(bridge.slack.uploads).toEqual([
      expect.objectContaining({ filename: 'broken-box.jpg', title: 'broken-box.jpg', channel: SUPPORT_CHANNEL, threadTs, initialComment: '*Jane Doe (customer)* sent an image:' }),
    ]);
    expect(bridge.slack.uploads[0]!.content.equals(photo)).toBe(true);
  });

  it('shows in the thread before the customer’s next text, though Slack shares uploads asynchronously', async () => {
    const { conversationId, threadTs } = await openConversation();
    bridge.botpress.hostedFiles.set('receipt.pdf', { content: Buffer.from('%PDF receipt'), contentType: 'application/pdf' });
    bridge.slack.shareDelayMs = 400;
    try {
      await message({ conversationId, text: 'Here is my receipt', messageId: `share-1-${n}`, files: [{ url: bridge.botpress.fileUrl('receipt.pdf'), kind: 'file' }] });
      await message({ conversationId, text: 'Can you see it?', messageId: `share-2-${n}` });
      await bridge.runDeliveries();
    } finally {
      bridge.slack.shareDelayMs = 0;
    }
    const thread = bridge.slack.messages.filter((posted) => posted.threadTs === threadTs).map((posted) => (posted.files ? `file ${posted.files.length}` : posted.text));
    expect(thread.slice(-3)).toEqual(['Here is my receipt', 'file 1', 'Can you see it?']);
  });

  it('may come alone, without text', async () => {
    const { conversationId } = await openConversation();
    bridge.botpress.hostedFiles.set('voice.ogg', { content: Buffer.from('OggS voice'), contentType: 'audio/ogg' });
    expect((await message({ conversationId, files: [{ url: bridge.botpress.fileUrl('voice.ogg'), kind: 'audio' }] })).statusCode).toBe(200);
    await bridge.runDeliveries();
    expect(bridge.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(bridge.slack.uploads.map((upload) => upload.initialComment)).toEqual(['*Jane Doe (customer)* sent an audio recording:']);
  });

  it.each([
    ['over the size limit', () => (bridge.botpress.hostedFiles.set('big.mov', { content: Buffer.alloc(FILE_LIMITS.maxBytes + 1), contentType: 'video/quicktime' }), bridge.botpress.fileUrl('big.mov')), 'file_too_large', 'it is over 20 MB'],
    ['gone from where Botpress kept it', () => bridge.botpress.fileUrl('deleted.png'), 'file_unreachable', 'it could not be fetched from Botpress'],
    ['on plain HTTP elsewhere', () => 'http://files.example.invalid/photo.png', 'file_unreachable', 'it could not be fetched from Botpress'],
  ])('%s: the customer hears through the bot, the agents from a note, and the rest of the message goes', async (_case, url, reason, note) => {
    const { conversationId, threadTs } = await openConversation();
    await message({ conversationId, text: 'See the file', messageId: `cf-${reason}-${n}`, files: [{ url: url(), kind: 'file' }] });
    await bridge.runDeliveries();
    expect(bridge.slack.uploads).toEqual([]);
    const posts = bridge.slack.callsTo('chat.postMessage');
    expect(posts.map((post) => post.args.thread_ts)).toEqual([threadTs, threadTs]);
    expect(posts[0]!.args.text).toBe('See the file');
    expect(String(posts[1]!.args.text)).toContain(note);
    expect(bridge.botpress.deliveredBodies()).toEqual([
      expect.objectContaining({ type: 'customer_message_failed', conversationId, messageId: `cf-${reason}-${n}`, reason, fileName: expect.any(String) as string, maxFileBytes: FILE_LIMITS.maxBytes }),
    ]);
  });

  it('is never fetched from a loopback, private or metadata address, by address or by name: the text goes, and both sides hear about the file', async () => {
    // An https service on loopback, as an internal admin page would be: it must never see a connection.
    const connections: string[] = [];
    const internal = createServer((socket) => {
      connections.push(String(socket.remoteAddress));
      socket.destroy();
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    const { port } = internal.address() as AddressInfo;
    try {
      const urls = [
        `https://127.0.0.1:${port}/internal/admin?token=1`,
        `https://localhost:${port}/internal/admin`,
        `https://[::ffff:127.0.0.1]:${port}/admin.png`,
        `https://2130706433:${port}/admin.png`,
        'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      ];
      const { conversationId, threadTs } = await openConversation();
      for (const [index, url] of urls.entries()) await message({ conversationId, text: `look ${index}`, messageId: `ssrf-${n}-${index}`, files: [{ url, kind: 'file' }] });
      await bridge.runDeliveries();

      expect(connections).toEqual([]);
      expect(bridge.slack.uploads).toEqual([]);
      const posts = bridge.slack.callsTo('chat.postMessage');
      expect(posts.every((post) => post.args.thread_ts === threadTs)).toBe(true);
      expect(posts.filter((post) => String(post.args.text).startsWith('look ')).map((post) => post.args.text)).toEqual(urls.map((_url, index) => `look ${index}`));
      expect(bridge.botpress.deliveredBodies()).toEqual(urls.map((): unknown => expect.objectContaining({ type: 'customer_message_failed', conversationId, reason: 'file_unreachable' })));
    } finally {
      await new Promise((resolve) => internal.close(resolve));
    }
  });

  it("shows a customer's chosen name and file name as written, never as a mention, a link or text turned around", async () => {
    n += 1;
    const conversationId = `conv-customer-names-${n}`;
    const name = 'Eve\u202E <!channel> <https://bank.example|Bank> \u0007';
    await botpress(botpressRequest('/botpress/handoff', { conversationId, userId: 'bp-user', summary: 'Names', customer: { name } }));
    await bridge.runDeliveries();
    const card = JSON.stringify(bridge.slack.callsTo('chat.postMessage')[0]!.args.blocks);
    expect(card).toContain('Eve &lt;!channel&gt; &lt;https://bank.example|Bank&gt;');
    expect(card).not.toContain('\u202e');
    bridge.slack.calls.length = 0;
    bridge.botpress.hostedFiles.set('invoice\u202Efdp.exe', { content: Buffer.from('MZ'), contentType: 'application/octet-stream' });
    await message({ conversationId, text: 'hi', messageId: `names-${n}`, files: [{ url: bridge.botpress.fileUrl('invoice\u202Efdp.exe'), kind: 'file', name: '<!here> invoice\u202Efdp.exe' }] });
    await bridge.runDeliveries();

    const [post] = bridge.slack.callsTo('chat.postMessage');
    // A username is plain text in Slack: no escaping, but no bidi override or control character either.
    expect(post!.args.username).toBe('Eve <!channel> <https://bank.example|Bank> (customer)');
    const [upload] = bridge.slack.uploads;
    expect(upload!.filename).toBe('<!here> invoicefdp.exe');
    expect(upload!.title).toBe('<!here> invoicefdp.exe');
    // The line with the upload is mrkdwn: escaped.
    expect(upload!.initialComment).toBe('*Eve &lt;!channel&gt; &lt;https://bank.example|Bank&gt; (customer)* sent a file:');
  });

  it.each([
    ['answers 503 each time', 503],
    ['cuts each transfer off halfway', 'cut-short'],
  ] as const)('holds its message for three tries only when where Botpress keeps it %s: then the text and the other files go, and both sides hear of that file', async (_case, fault) => {
    const { conversationId, threadTs } = await openConversation();
    bridge.botpress.hostedFiles.set('stuck.pdf', { content: Buffer.from('%PDF stuck'), contentType: 'application/pdf', fault });
    bridge.botpress.hostedFiles.set('fine.txt', { content: Buffer.from('fine'), contentType: 'text/plain' });
    const files = [
      { url: bridge.botpress.fileUrl('stuck.pdf'), kind: 'file' as const },
      { url: bridge.botpress.fileUrl('fine.txt'), kind: 'file' as const },
    ];
    const job: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', conversationId, `stuck-${n}`], conversationId, text: 'Two files', messageId: `stuck-${n}`, files };

    // Tries 10 s and 20 s apart: done within a minute of the first, where a transient failure used to hold it for 15.
    expect(await attempts(job, 3)).toEqual([...FILE_LIMITS.retryDelaysMs, 'delivered']);
    const posts = bridge.slack.callsTo('chat.postMessage');
    expect(posts.map((post) => post.args.thread_ts)).toEqual([threadTs, threadTs]);
    expect(posts[0]!.args.text).toBe('Two files');
    expect(String(posts[1]!.args.text)).toContain('stuck.pdf');
    expect(String(posts[1]!.args.text)).toContain('where Botpress keeps it did not answer (3 tries)');
    expect(bridge.slack.uploads.map((upload) => upload.content.toString())).toEqual(['fine']);
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toEqual([
      expect.objectContaining({ type: 'customer_message_failed', conversationId, messageId: `stuck-${n}`, fileName: 'stuck.pdf', reason: 'file_unreachable' }),
    ]);
  });

  it('goes on at the next try when the file comes then, with nothing said', async () => {
    const { conversationId } = await openConversation();
    const hosted = { content: Buffer.from('late but fine'), contentType: 'text/plain', fault: 503 as number | undefined };
    bridge.botpress.hostedFiles.set('late.txt', hosted);
    const job: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', conversationId, `late-${n}`], conversationId, text: 'Here', messageId: `late-${n}`, files: [{ url: bridge.botpress.fileUrl('late.txt'), kind: 'file' }] };
    const deps = deliveryDependencies();
    expect(await attempts(job, 1, deps)).toEqual([FILE_LIMITS.retryDelaysMs[0]]);
    hosted.fault = undefined;
    expect(await attempts(job, 1, deps)).toEqual(['delivered']);
    expect(bridge.slack.callsTo('chat.postMessage').map((post) => post.args.text)).toEqual(['Here']);
    expect(bridge.slack.uploads.map((upload) => upload.content.toString())).toEqual(['late but fine']);
    await bridge.runDeliveries();
    expect(bridge.botpress.deliveredBodies()).toEqual([]);
  });

  it.each([
    ['has turned uploads off', { disabled: true }, 'this workspace does not allow file uploads'],
    ['takes images only', { imagesOnly: true }, 'this workspace does not allow files of this type'],
    ['takes smaller files only', { maxBytes: 4 }, 'this workspace does not allow files this large'],
  ])("stays out, the message goes on, and both sides hear why, when the workspace %s: not the whole message lost, nothing dead-lettered", async (_case, rules, why) => {
    const { conversationId, threadTs } = await openConversation();
    bridge.botpress.hostedFiles.set('report.pdf', { content: Buffer.from('%PDF report'), contentType: 'application/pdf' });
    Object.assign(bridge.slack.uploadRules, rules);
    try {
      await message({ conversationId, text: 'My report', messageId: `restricted-${n}`, files: [{ url: bridge.botpress.fileUrl('report.pdf'), kind: 'file' }] });
      await message({ conversationId, text: 'And one more thing', messageId: `restricted-next-${n}` });
      await bridge.runDeliveries();
    } finally {
      for (const key of Object.keys(bridge.slack.uploadRules)) delete bridge.slack.uploadRules[key as keyof typeof bridge.slack.uploadRules];
    }
    expect(bridge.slack.uploads).toEqual([]);
    const texts = bridge.slack.callsTo('chat.postMessage').filter((post) => post.args.thread_ts === threadTs).map((post) => String(post.args.text));
    expect(texts[0]).toBe('My report');
    expect(texts[1]).toContain(`report.pdf, that is not shown here: ${why}`);
    expect(texts[2]).toBe('And one more thing');
    expect(bridge.botpress.deliveredBodies()).toEqual([
      expect.objectContaining({ type: 'customer_message_failed', conversationId, messageId: `restricted-${n}`, fileName: 'report.pdf', reason: 'file_not_accepted' }),
    ]);
    expect(bridge.sqs.messages(bridge.queues.deadLetters.url.split('/').at(-1)!).filter((dead) => dead.body.includes(conversationId))).toEqual([]);
  });

  it("posts a message's many files over several attempts, when one attempt's time is up, each file once and in order", async () => {
    const { conversationId, threadTs } = await openConversation();
    const files = ['one', 'two', 'three'].map((name) => {
      bridge.botpress.hostedFiles.set(`${name}.txt`, { content: Buffer.from(`file ${name}`), contentType: 'text/plain' });
      return { url: bridge.botpress.fileUrl(`${name}.txt`), kind: 'file' as const };
    });
    // A clock that moves 4 s each time it is read: an attempt has time to start one file (FILES_PER_ATTEMPT_MS, 6 s).
    let clock = Date.now();
    const deps = deliveryDependencies(() => (clock += 4_000));
    const job: DeliveryJob = { kind: 'customer-message', key: ['botpress-message', conversationId, 'many'], conversationId, text: 'Three files', messageId: 'many', files };
    const attempt = { id: 'message-1', receiveCount: 1, queuedAt: Date.now() };

    const outcomes = [];
    for (let i = 0; i < 3; i += 1) outcomes.push(await deliver(job, attempt, deps).then((result) => result.outcome, (error: unknown) => (error as RetryDelivery).delayMs));
    // The rest of the files wait the least retry delay (policy.ts), not a backoff.
    expect(outcomes).toEqual([1_000, 1_000, 'delivered']);
    expect(bridge.slack.callsTo('chat.postMessage').map((call) => call.args.text)).toEqual(['Three files']);
    expect(bridge.slack.uploads.map((upload) => [upload.threadTs, upload.content.toString()])).toEqual([
      [threadTs, 'file one'],
      [threadTs, 'file two'],
      [threadTs, 'file three'],
    ]);
    expect(await deliver(job, attempt, deps)).toEqual({ outcome: 'duplicate' });
  });

  it.each([
    ['not an http(s) URL', { url: 'ftp://files.example/x.png' }, 'files.0.url: must be an http(s) URL'],
    ['an unknown kind', { url: 'https://files.example/x.png', kind: 'sticker' }, 'files.0.kind: must be one of image, audio, video, file'],
  ])('answers 400 to a file that is %s', async (_case, file, problem) => {
    const answer = await message({ conversationId: 'c', files: [file] });
    expect(answer.statusCode).toBe(400);
    expect((JSON.parse(answer.body!) as { problems: string[] }).problems).toEqual([problem]);
  });
});
