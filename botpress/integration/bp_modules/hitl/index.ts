import * as sdk from '@botpress/sdk';

/*
 * Botpress's `hitl` interface, version 2.1.0, as the Hub publishes it and the
 * HITL plugin requires it (any 2.x). `bp add hitl@2.1.0` writes the Hub's own
 * copy here, with its id, before a deploy (botpress/README.md); this one lets
 * the integration type-check, bundle and run in tests offline. Its names and
 * schemas are the interface's, field for field: test/botpress-integration
 * checks what the integration declares against them.
 */

const { z } = sdk;
const HIDDEN = sdk.WELL_KNOWN_ATTRIBUTES.HIDDEN_IN_STUDIO;
/** The longest message tag the runtime API keeps, and so the longest `additionalData`. */
const MAX_ADDITIONAL_DATA = 500;

/** A message on the hitl channel: a default message, plus who it is from and what else it carries. */
const onHitlChannel = (message: { schema: sdk.z.AnyZodObject }) => ({
  schema: () =>
    message.schema.extend({
      userId: z.string().optional().describe('Allows sending a message pretending to be a certain user'),
      additionalData: z
        .string()
        .max(MAX_ADDITIONAL_DATA)
        .optional()
        .describe('Additional data to send with the message, useful for custom integrations. Must be encoded in a string.'),
    }),
});

const source = z.union([z.object({ type: z.literal('user'), userId: z.string() }), z.object({ type: z.literal('bot') })]);
const historyMessageTypes = { ...sdk.messages.defaults, markdown: sdk.messages.markdown, bloc: sdk.messages.markdownBloc };
const historyMessages: sdk.z.AnyZodObject[] = Object.entries(historyMessageTypes).map(([type, message]) => z.object({ source, type: z.literal(type), payload: message.schema }));
const historyMessage = z.union(historyMessages as [sdk.z.AnyZodObject, sdk.z.AnyZodObject, ...sdk.z.AnyZodObject[]]);

const conversationId = z.string().title('HITL session ID').describe('ID of the Botpress conversation representing the HITL session');

export const hitlInterface = new sdk.InterfaceDefinition({
  name: 'hitl',
  version: '2.1.0',
  entities: {
    hitlSession: {
      title: 'HITL session',
      description: 'A HITL session, often referred to as a ticket or conversation in external systems',
      schema: z.object({}),
    },
  },
  events: {
    hitlAssigned: {
      attributes: { ...HIDDEN },
      schema: () =>
        z.object({
          conversationId,
          userId: z.string().title('Human agent user ID').describe('ID of the Botpress user representing the human agent assigned to the HITL session'),
        }),
    },
    hitlStopped: { attributes: { ...HIDDEN }, schema: () => z.object({ conversationId }) },
  },
  actions: {
    createUser: {
      attributes: { ...HIDDEN },
      title: 'Create external user',
      description: 'Create an end user in the external service and in Botpress',
      input: {
        schema: () =>
          z.object({
            name: z.string().title('Display name').describe('Display name of the end user'),
            pictureUrl: z.string().title('Picture URL').describe("URL of the end user's avatar").optional(),
            email: z.string().title('Email address').describe('Email address of the end user').optional(),
          }),
      },
      output: { schema: () => z.object({ userId: z.string().title('Botpress user ID').describe('ID of the Botpress user representing the end user') }) },
    },
    startHitl: {
      attributes: { ...HIDDEN },
      title: 'Start new HITL session',
      description: 'Create a new HITL session in the external service and in Botpress',
      input: {
        schema: (entities) =>
          z.object({
            userId: z.string().title('User ID').describe('ID of the Botpress user representing the end user'),
            title: z.string().title('Title').describe('Title of the HITL session. This corresponds to a ticket title in systems that use tickets.').optional(),
            description: z
              .string()
              .title('Description')
              .describe('Description of the HITL session. This corresponds to a ticket description in systems that use tickets.')
              .optional(),
            hitlSession: entities.hitlSession.optional().title('Extra configuration').describe('Configuration of the HITL session'),
            messageHistory: z
              .array(historyMessage)
              .title('Conversation history')
              .describe('History of all messages in the conversation up to this point. Should be displayed to the human agent in the external service.'),
          }),
      },
      output: { schema: () => z.object({ conversationId }) },
    },
    stopHitl: {
      attributes: { ...HIDDEN },
      title: 'Stop HITL session',
      description: 'Stop an existing HITL session in the external service',
      input: { schema: () => z.object({ conversationId }) },
      output: { schema: () => z.object({}) },
    },
  },
  channels: {
    hitl: {
      messages: {
        text: onHitlChannel(sdk.messages.defaults.text),
        image: onHitlChannel(sdk.messages.defaults.image),
        audio: onHitlChannel(sdk.messages.defaults.audio),
        video: onHitlChannel(sdk.messages.defaults.video),
        file: onHitlChannel(sdk.messages.defaults.file),
        bloc: onHitlChannel(sdk.messages.markdownBloc),
      },
    },
  },
  __advanced: { useLegacyZuiTransformer: true },
});

export default {
  type: 'interface',
  name: hitlInterface.name,
  version: hitlInterface.version,
  definition: hitlInterface,
} satisfies sdk.InterfacePackage;
