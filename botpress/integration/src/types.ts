import type * as sdk from '@botpress/sdk';
import type { hitlInterface } from '../bp_modules/hitl';
import type { configurationSchema, STATES, TAGS } from '../integration.definition';

/*
 * The integration's types, as `bp gen` would write them into `.botpress`:
 * read from the definition and the interface, so that they cannot drift.
 */
type Hitl = typeof hitlInterface;
type Infer<T> = T extends sdk.z.ZodTypeAny ? sdk.z.infer<T> : never;
type Tags<T> = { [K in keyof T]: string };
type ActionTypes = { [K in keyof Hitl['actions']]: { input: Infer<Hitl['actions'][K]['input']['schema']>; output: Infer<Hitl['actions'][K]['output']['schema']> } };
type MessageTypes = { [K in keyof Hitl['channels']['hitl']['messages']]: Infer<Hitl['channels']['hitl']['messages'][K]['schema']> };

export type SlackHitl = sdk.DefaultIntegration<{
  name: 'slack-hitl-bridge';
  version: '0.1.0';
  configuration: sdk.z.infer<typeof configurationSchema>;
  configurations: Record<never, never>;
  actions: ActionTypes;
  events: { [K in keyof Hitl['events']]: Infer<Hitl['events'][K]['schema']> };
  channels: { hitl: { messages: MessageTypes; message: { tags: Tags<typeof TAGS.message> }; conversation: { tags: Tags<typeof TAGS.conversation> } } };
  user: { tags: Tags<typeof TAGS.user> };
  states: { [K in keyof typeof STATES]: { type: (typeof STATES)[K]['type']; payload: sdk.z.infer<(typeof STATES)[K]['schema']> } };
  entities: { hitlSession: { queue?: string | undefined } };
}>;

export type Client = sdk.IntegrationSpecificClient<SlackHitl>;
export type Configuration = SlackHitl['configuration'];
export type HitlMessageType = keyof MessageTypes;
export type HitlMessage = MessageTypes[HitlMessageType];
export type StartHitlInput = ActionTypes['startHitl']['input'];
/** An entry of startHitl's messageHistory (the interface's union of every message type, each with its source). */
export interface HistoryMessage {
  readonly source: { readonly type: 'user'; readonly userId: string } | { readonly type: 'bot' };
  readonly type: string;
  readonly payload: Record<string, unknown>;
}
