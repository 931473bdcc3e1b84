import * as sdk from '@botpress/sdk';
import hitl from './bp_modules/hitl';

const { z } = sdk;

/** What a bot owner fills in when installing the integration: from the bridge's stack outputs and secret. */
export const configurationSchema = z.object({
  bridgeUrl: z
    .string()
    .url()
    .title('Bridge URL')
    .describe('The BotpressBaseUrl output of cdk deploy (it ends in /botpress), or http://…/botpress printed by npm start behind a tunnel'),
  bridgeToken: z.string().min(1).secret().title('Bridge API token').describe('bridgeApiToken in the bridge’s secret (BRIDGE_API_TOKEN locally)'),
  signingSecret: z
    .string()
    .min(1)
    .secret()
    .title('Signing secret')
    .describe('botpressSigningSecret in the bridge’s secret (BOTPRESS_SIGNING_SECRET locally): the bridge signs its calls with it'),
});

/*
 * The tags the integration gives what it creates, each the discriminator of a
 * get-or-create, so that a retried call finds what the first one made.
 */
export const TAGS = {
  user: {
    /** An agent, by Slack user id: one Botpress user per agent, named as in Slack. */
    slackUserId: { title: 'Slack user ID', description: 'The Slack user this Botpress user stands for (an agent)' },
    /** A customer, by a key of the integration's making: createUser makes a new one each time. */
    customerKey: { title: 'Customer key', description: 'Tells apart the customers createUser made' },
    /** A customer's e-mail address, as createUser was given it, for the handoff card. */
    email: { title: 'E-mail address', description: 'The customer’s e-mail address, shown to the agents' },
  },
  conversation: {
    sessionKey: { title: 'Session key', description: 'Tells apart the HITL sessions startHitl opened' },
  },
  message: {
    /** The bridge's eventId of an agent's reply (channel:ts): the same reply re-sent is the same message. */
    bridgeEventId: { title: 'Bridge event ID', description: 'The Slack message this message carries' },
  },
} as const;

/*
 * What the integration remembers of a session between calls: who the HITL
 * plugin has as its agent (the integration made it so, by hitlAssigned or by
 * an agent's first message), and the notices for the customer that wait for
 * one. The plugin makes the first sender in a session without an agent its
 * agent (plugins/hitl, before-incoming-message/all.ts, assignAgent), so a
 * notice written before anyone took the session would pose as the agent.
 */
export const STATES = {
  sessionAgent: {
    type: 'conversation' as const,
    schema: z.object({
      agentUserId: z.string().optional().title('Agent user ID').describe('The Botpress user of the agent the plugin has, once there is one'),
      held: z
        .array(z.object({ eventId: z.string(), text: z.string() }))
        .title('Held notices')
        .describe('Notices for the customer written before the session had an agent, in order'),
    }),
  },
};

export default new sdk.IntegrationDefinition({
  name: 'slack-hitl-bridge',
  version: '0.1.0',
  title: 'Slack HITL bridge',
  description: 'Hands conversations to your support team in a Slack channel, through the botpress-slack-hitl bridge, for the HITL plugin.',
  readme: 'hub.md',
  icon: 'icon.svg',
  configuration: { schema: configurationSchema },
  user: { tags: TAGS.user },
  states: STATES,
  entities: {
    hitlSession: {
      title: 'HITL session',
      description: 'The bridge opens one Slack thread per session, in its queue’s channel when it names one',
      schema: z.object({
        queue: z
          .string()
          .optional()
          .title('Queue')
          .describe('A queue such as billing or tech: the session opens in the Slack channel the bridge’s SLACK_QUEUE_CHANNELS gives it (else the support channel)'),
      }),
    },
  },
  __advanced: { useLegacyZuiTransformer: true },
}).extend(hitl, ({ entities }) => ({
  entities: { hitlSession: entities.hitlSession },
  channels: {
    hitl: {
      title: 'HITL session',
      description: 'One per HITL session: the customer’s messages go to its Slack thread, and the agents’ replies come back in it',
      conversation: { tags: TAGS.conversation },
      message: { tags: TAGS.message },
    },
  },
}));
