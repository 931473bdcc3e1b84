import * as sdk from '@botpress/sdk';
import type { EndAnswer, EndBody, HandoffAnswer, HandoffBody, MessageAnswer, MessageBody } from '../../../shared/botpress/contract';
import type { Configuration } from './types';

/*
 * The bridge's Botpress-side routes (README, "The HTTP contract"), called
 * with its API token. A failure becomes a RuntimeError saying what the bot
 * owner can do: Botpress shows it in the bot's logs and fails the action.
 */

/** The bridge as the integration uses it: a port, so that the handlers can be given another. */
export interface Bridge {
  handoff(body: HandoffBody): Promise<HandoffAnswer>;
  message(body: MessageBody): Promise<MessageAnswer>;
  end(body: EndBody): Promise<void>;
}

/** Per call: the bridge answers at once (it queues the work), so a slow answer means it is in trouble. */
export const BRIDGE_TIMEOUT_MS = 10_000;

export function bridgeOver(configuration: Configuration, fetchImpl: typeof fetch = fetch): Bridge {
  const base = configuration.bridgeUrl.replace(/\/+$/, '');
  const call = async <T>(route: string, body: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetchImpl(`${base}/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${configuration.bridgeToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(BRIDGE_TIMEOUT_MS),
      });
    } catch (error) {
      throw new sdk.RuntimeError(`The bridge could not be reached at ${base}/${route}: ${(error as Error).message}. Check the integration's Bridge URL.`);
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return answer as T;
    throw new sdk.RuntimeError(`The bridge refused ${route} (HTTP ${response.status}): ${describeRefusal(response.status, answer)}`);
  };
  return {
    handoff: (body) => call('handoff', body),
    message: (body) => call('message', body),
    end: async (body) => {
      await call<EndAnswer>('end', body);
    },
  };
}

function describeRefusal(status: number, answer: Record<string, unknown>): string {
  if (status === 401) return "the Bridge API token is not the bridge's (bridgeApiToken in its secret)";
  if (Array.isArray(answer.problems)) return answer.problems.join('; ');
  if (typeof answer.fix === 'string') return `${String(answer.code)}: ${answer.fix}`;
  return answer.retryable ? 'it is busy; try again' : JSON.stringify(answer);
}

export type { HandoffBody, MessageBody };
