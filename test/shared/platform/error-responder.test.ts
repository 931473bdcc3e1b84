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
