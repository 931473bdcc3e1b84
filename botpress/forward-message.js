// Botpress Studio: Execute Code card "Forward to Slack", in the node that waits for the customer during a handoff.
// Posts the customer's message in the Slack thread. Then branch on conversation.handoffActive:
//   true  -> wait for the next customer message (agents answer through the webhook);
//   false -> the handoff is over (resolved, ended or expired): the bot takes the conversation back, and this
//            message is the bot's to answer (transition to a node that answers it, not to one that waits).
// Sets conversation.handoffDeliveryFailed (Boolean) when the bridge could not be reached.
// Needs the configuration variables bridgeUrl and bridgeToken.

// An image, audio, video or file message goes as the file (the bridge uploads it into the thread); a text message as its text.
const URL_FIELD = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' }
const fileUrl = URL_FIELD[event.type] && event.payload && event.payload[URL_FIELD[event.type]]
const files = fileUrl ? [{ url: fileUrl, kind: event.type, name: event.payload.title || undefined }] : undefined
const text = fileUrl ? '' : event.preview || (event.payload && event.payload.text) || ''
const body = { conversationId: event.conversationId, text, messageId: event.messageId || event.id, files }

// Retrying is safe: the bridge posts each messageId once. It answers at once: the message is queued for the thread,
// and should it never get there, the bot hears (customer_message_failed, in webhook-handler.js).
let lastError
for (let attempt = 1; attempt <= 3; attempt++) {
  try {
    const response = await axios.post(`${env.bridgeUrl}/message`, body, {
      headers: { Authorization: `Bearer ${env.bridgeToken}` },
      timeout: 10000,
    })
    conversation.handoffActive = response.data.handoffActive
    conversation.handoffDeliveryFailed = false
    lastError = undefined
    break
  } catch (error) {
    lastError = error
    const status = error.response && error.response.status
    // A 4xx, or a refusal the bridge marks retryable: false, will not get better by retrying.
    if ((status && status < 500) || (error.response && error.response.data && error.response.data.retryable === false)) break
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt))
  }
}
if (lastError) {
  // Stay in the handoff, and let the flow tell the customer that the message did not get through.
  conversation.handoffActive = true
  conversation.handoffDeliveryFailed = true
  console.error('Forwarding to Slack failed:', lastError.response ? lastError.response.status : lastError.message)
}
