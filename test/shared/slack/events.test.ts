import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../shared/platform/errors';
import { parseSlackEventsBody, replyFieldProblems, type SlackEventCallback } from '../../../shared/slack/events';
import { eventCallback, threadReply } from '../../fixtures/slack-events';

const parse = (body: unknown) => parseSlackEventsBody(JSON.stringify(body));
const problemsOf = (body: unknown): string[] => replyFieldProblems(parse(body) as SlackEventCallback);

describe('parseSlackEventsBody', () => {
  it('takes a real agent reply as it is', () => {
    const body = eventCallback(threadReply('Hello'));
    expect(parse(body)).toEqual(body);
  });

  it.each([
    ['not JSON', '{"type":', ['body is not valid JSON']],
    ['no type', '{"event":{}}', ['body.type must be a string']],
    ['a callback without event_id or event', '{"type":"event_callback"}', ['body.event_id must be a string', 'body.event.type must be a string']],
    ['a url_verification without challenge', '{"type":"url_verification"}', ['body.challenge must be a string']],
  ])('names what is wrong with %s', (_case, rawBody, problems) => {
    const error: unknown = (() => {
      try {
        parseSlackEventsBody(rawBody);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).problems).toEqual(problems);
  });
});

describe('replyFieldProblems', () => {
  it('finds nothing wrong with a real agent reply', () => {
    expect(problemsOf(eventCallback(threadReply('Hello')))).toEqual([]);
  });

  it.each([
    ['text', 42, 'body.event.text must be a string'],
    ['user', { id: 'U1' }, 'body.event.user must be a string'],
    ['thread_ts', 1717549330.0001, 'body.event.thread_ts must be a string'],
    ['subtype', ['bot_message'], 'body.event.subtype must be a string'],
    ['hidden', 'true', 'body.event.hidden must be a boolean'],
  ])('names a message field of the wrong type: %s', (field, value, problem) => {
    expect(problemsOf(eventCallback({ ...threadReply('Hello'), [field]: value }))).toEqual([problem]);
  });

  it('reads a null field as absent', () => {
    expect(problemsOf(eventCallback({ ...threadReply('Hello'), subtype: null, bot_id: null }))).toEqual([]);
  });

  it.each([[{}], ['U0BRIDGEBOT'], [[null]]])('names authorizations that are not an array of objects: %j', (authorizations) => {
    expect(problemsOf(eventCallback(threadReply('Hello'), { authorizations }))).toEqual(['body.authorizations must be an array of objects']);
  });
});
