import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { DESK_WORDS, LAYERS } from '../eslint.config.js';

/*
 * The lint rule that holds the architecture (eslint.config.js), shown to
 * catch what it must: a violation planted in each layer fails, and the
 * imports each layer may make pass. `npm test` lints the real tree with it.
 */
const linter = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ...LAYERS,
    { files: ['shared/domain/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...DESK_WORDS] } },
  ],
});

const problemsIn = async (filePath: string, code: string) => (await linter.lintText(code, { filePath })).flatMap((result) => result.messages.map((message) => message.ruleId));

describe('the architecture rule', () => {
  it.each([
    ['the domain importing Slack’s SDK', 'shared/domain/planted.ts', "import { WebClient } from '@slack/web-api';", 'no-restricted-imports'],
    ['the domain importing the AWS SDK', 'shared/domain/delivery/planted.ts', "import { SQSClient } from '@aws-sdk/client-sqs';", 'no-restricted-imports'],
    ['the domain importing Botpress’s SDK', 'shared/domain/planted.ts', "import * as sdk from '@botpress/sdk';", 'no-restricted-imports'],
    ['the domain importing the Slack adapter', 'shared/domain/planted.ts', "import { slackDesk } from '../slack/desk';", 'no-restricted-imports'],
    ['the domain importing the AWS adapter', 'shared/domain/delivery/planted.ts', "import { ThreadStore } from '../../aws/handoff-store';", 'no-restricted-imports'],
    ['the domain importing the Botpress adapter', 'shared/domain/files/planted.ts', "import { postToBotpress } from '../../botpress/webhook';", 'no-restricted-imports'],
    ['the domain importing a function', 'shared/domain/planted.ts', "import { wire } from '../../functions/wiring';", 'no-restricted-imports'],
    ['the domain naming a Web API method', 'shared/domain/planted.ts', "export const method = 'chat.postMessage';", 'no-restricted-syntax'],
    ['the domain writing mrkdwn', 'shared/domain/planted.ts', 'export const note = (who: string) => `:door: <@${who}> left`;', 'no-restricted-syntax'],
    ['the domain building Block Kit', 'shared/domain/planted.ts', "export const block = { type: 'mrkdwn', text: 'x' };", 'no-restricted-syntax'],
    ['the platform importing the domain', 'shared/platform/planted.ts', "import { deliver } from '../domain/delivery/attempt';", 'no-restricted-imports'],
    ['the platform importing an SDK', 'shared/platform/planted.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'no-restricted-imports'],
    ['the Slack adapter importing the AWS adapter', 'shared/slack/render/planted.ts', "import { ThreadStore } from '../../aws/handoff-store';", 'no-restricted-imports'],
    ['the Slack adapter importing the AWS SDK', 'shared/slack/planted.ts', "import { S3Client } from '@aws-sdk/client-s3';", 'no-restricted-imports'],
    ['the Botpress adapter importing the Slack adapter', 'shared/botpress/planted.ts', "import { slackDesk } from '../slack/desk';", 'no-restricted-imports'],
    ['the AWS adapter importing Slack’s SDK', 'shared/aws/planted.ts', "import type { WebClient } from '@slack/web-api';", 'no-restricted-imports'],
    ['shared code importing the local runner', 'shared/aws/planted.ts', "import { startEmbeddedSqs } from '../../local/embedded-sqs';", 'no-restricted-imports'],
  ])('fails %s', async (_case, filePath, code, rule) => {
    expect(await problemsIn(filePath, code)).toEqual([rule]);
  });

  it.each([
    ['the domain using the platform and its own ports', 'shared/domain/delivery/planted.ts', "import { BridgeError } from '../../platform/errors';\nimport type { SupportDesk } from '../ports';"],
    ['an adapter implementing a domain port', 'shared/slack/planted.ts', "import type { SupportDesk } from '../domain/ports';\nimport { WebClient } from '@slack/web-api';"],
    ['the AWS adapter using its SDK and the platform', 'shared/aws/planted.ts', "import { SQSClient } from '@aws-sdk/client-sqs';\nimport { callDownstream } from '../platform/errors';"],
    ['a function wiring adapters to the domain', 'functions/planted/handler.ts', "import { slackDesk } from '../../shared/slack/desk';\nimport { deliver } from '../../shared/domain/delivery/attempt';"],
    ['the domain keying an edit (a colon is not markup)', 'shared/domain/planted.ts', 'export const key = (ts: string, at: string) => `${ts}:edited:${at}`;'],
  ])('lets through %s', async (_case, filePath, code) => {
    expect(await problemsIn(filePath, code)).toEqual([]);
  });
});
