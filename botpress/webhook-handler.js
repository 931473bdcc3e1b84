// Botpress Studio: the Webhook integration's event trigger, then this Execute Code card.
// The bridge POSTs here (with the x-bp-secret header the integration checks) when an agent
// replies in Slack (text, files), claims the handoff, or resolves it, and when something the
// customer wrote or sent could not reach the agents. The conversation is the customer's, named in the body: the
// trigger itself runs outside it. Every event has an eventId, the same for every copy of it.
// Needs "Use the Botpress Client" on in the bot's settings.

const body = (event.payload && event.payload.body) || event.payload || {}
const show = (type, payload) => client.createMessage({ conversationId: body.conversationId, userId: event.botId, type, payload, tags: {} })
const say = (text) => show('text', { text })
// An agent's files come as links to the bridge that work without Slack and expire; Botpress shows each as its kind.
const URL_FIELD = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' }
const megabytes = (bytes) => Math.round(bytes / (1024 * 1024))

switch (body.type) {
  case 'agent_message': {
    const files = body.files || []
    // A file sent alone has no text (and Botpress refuses an empty text message).
    const text = body.text || (files.length > 0 && body.agentName ? `sent ${files.length === 1 ? 'a file' : `${files.length} files`}:` : '')
    if (text) await say(body.agentName ? `${body.agentName}: ${text}` : text)
    for (const file of files) {
      const kind = URL_FIELD[file.kind] ? file.kind : 'file'
      await show(kind, { [URL_FIELD[kind]]: file.url, title: file.name })
    }
    break
  }
  case 'agent_assigned':
    await say(`${body.agentName || 'A support agent'} has joined the conversation.`)
    break
  case 'handoff_resolved':
    await say('Our support agent has closed this conversation, and I am back. Is there anything else I can help you with?')
    break
  case 'customer_message_failed':
    if (body.reason === 'file_too_large') {
      await say(`Sorry, your file ${body.fileName} is too large for our support team (at most ${megabytes(body.maxFileBytes)} MB).`)
    } else if (body.reason === 'file_unreachable') {
      await say(`Sorry, your file ${body.fileName} could not be passed on to our support team. Please send it again.`)
    } else if (body.reason === 'file_not_accepted') {
      await say(`Sorry, our support team cannot receive your file ${body.fileName} here. Please describe in words what it shows.`)
    } else {
      await say('Sorry, your last message did not reach our support team. Please send it again.')
    }
    break
  case 'handoff_failed':
    await say('Sorry, I could not reach our support team just now. Please try again in a few minutes.')
    break
  default:
    console.warn('Ignored a webhook event that is not from the bridge:', body.type)
}
