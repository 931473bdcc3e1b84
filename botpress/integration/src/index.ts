import * as sdk from '@botpress/sdk';
import { bridgeOver } from './bridge';
import { handleBridgeCall } from './bridge-events';
import { createUser, forwardToThread, startHitl, stopHitl } from './sessions';
import type { HitlMessageType, SlackHitl } from './types';

/*
 * The integration's handlers, as Botpress's runtime calls them (its HTTP
 * operations, through @botpress/sdk): thin, each wiring the configuration's
 * bridge and the request's client into a plain function.
 */

type MessageHandlers = sdk.IntegrationProps<SlackHitl>['channels']['hitl']['messages'];
type MessageProps = Parameters<MessageHandlers[HitlMessageType]>[0];
const toThread = (props: MessageProps) =>
  forwardToThread(
    { conversation: props.conversation, message: props.message, type: props.type, payload: props.payload },
    [props.ctx.botId, props.ctx.botUserId],
    props.client,
    bridgeOver(props.ctx.configuration),
  );

export default new sdk.Integration<SlackHitl>({
  register: ({ webhookUrl, logger }) => {
    // The one value the bridge needs from here: where to send agents' replies.
    logger.forBot().info(`Set the bridge's botpressWebhookUrl (BOTPRESS_WEBHOOK_URL) to ${webhookUrl}`);
    return Promise.resolve();
  },
  unregister: async () => {},
  actions: {
    createUser: ({ input, client }) => createUser(input, client),
    startHitl: ({ input, client, ctx }) => startHitl(input, client, bridgeOver(ctx.configuration)),
    stopHitl: ({ input, ctx }) => stopHitl(input, bridgeOver(ctx.configuration)),
  },
  channels: {
    hitl: { messages: { text: toThread, image: toThread, audio: toThread, video: toThread, file: toThread, bloc: toThread } },
  },
  handler: ({ req, ctx, client, logger }) => handleBridgeCall(req, ctx.configuration.signingSecret, client, logger.forBot()),
});
