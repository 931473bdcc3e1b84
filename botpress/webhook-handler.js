// Botpress Studio: the Webhook integration's event trigger, then this Execute Code card.
// The bridge POSTs here (with the x-bp-secret header the integration checks) when an agent
// replies in Slack, claims the handoff, or resolves it, and when something the customer wrote
// could not reach the agents. The conversation is the customer's, named in the body: the
// trigger itself runs outside it. Every event has an eventId, the same for every copy of it.
// Needs "Use the Botpress Client" on in the bot's settings.

const body = (event.payload && event.payload.body) || event.payload || {}
const say = (text) =>
  client.createMessage({
    conversationId: body.conversationId,
    userId: event.botId,
    type: 'text',
    payload: { text },
    tags: {},
  })

switch (body.type) {
  case 'agent_message':
    await say(body.agentName ? `${body.agentName}: ${body.text}` : body.text)
    break
  case 'agent_assigned':
    await say(`${body.agentName || 'A support agent'} has joined the conversation.`)
    break
  case 'handoff_resolved':
    await say('Our support agent has closed this conversation, and I am back. Is there anything else I can help you with?')
    break
  case 'customer_message_failed':
    await say('Sorry, your last message did not reach our support team. Please send it again.')
    break
  case 'handoff_failed':
    await say('Sorry, I could not reach our support team just now. Please try again in a few minutes.')
    break
  default:
    console.warn('Ignored a webhook event that is not from the bridge:', body.type)
}
