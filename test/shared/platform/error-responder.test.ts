import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { errorToResponse } from '../../../shared/platform/error-responder';
import { DownstreamError, PermanentDownstreamError } from '../../../shared/platform/errors';

/** The JSON lines a real Powertools logger prints while `act` runs. */
function printed(act: (logger: Logger) => void): Record<string, unknown>[] {
  const logger = new Logger({ serviceName: 'botpress-slack-hitl' });
  logger.setLogLevel('INFO');
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    act(logger);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('errorToResponse', () => {
  it.each([
    ['a failure', new DownstreamError('dynamodb', 'get item failed'), 503, 'downstream failure'],
    ['a refusal', new PermanentDownstreamError('slack', 'chat.postMessage refused: not_in_channel', 'not_in_channel', 'invite the app'), 502, 'downstream refusal'],
  ])('logs which service answered %s, beside the bridge’s own service name', (_case, error, status, message) => {
    let response;
    const [line] = printed((logger) => {
      response = errorToResponse(error, logger);
    });
    expect(response).toMatchObject({ statusCode: status });
    expect(line).toMatchObject({ message, service: 'botpress-slack-hitl', downstream: error.service });
  });
});

describe('error classes', () => {
  it('each name themselves in a string, which minifying the bundles leaves as it is (a log line says ConfigError, not He)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const files = readdirSync('shared', { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    const classes: string[] = [];
    for (const file of files) {
      const source = readFileSync(path.join('shared', file), 'utf8');
      for (const match of source.matchAll(/class (\w+) extends (\w+) \{\n([^]*?)\n\}/g)) {
        if (!/Error$|^Error$/.test(match[2]!) && !['BridgeError', 'DownstreamError'].includes(match[2]!)) continue;
        classes.push(match[1]!);
        expect(match[3], `${file}: ${match[1]}`).toContain(`readonly name`);
        expect(match[3], `${file}: ${match[1]}`).toContain(`'${match[1]}'`);
      }
    }
    expect(classes.length).toBeGreaterThan(15);
  });
});
