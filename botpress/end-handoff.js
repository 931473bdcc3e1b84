// Botpress Studio: Execute Code card "End handoff", e.g. on the conversation's inactivity timeout,
// or when the customer says they are done. Tells the agents in Slack, and closes the thread.
// Needs the configuration variables bridgeUrl and bridgeToken. Optional: conversation.handoffEndReason.
// Conversation variables, not workflow ones: the Timeout workflow's own would not be the handoff's.

try {
  await axios.post(
    `${env.bridgeUrl}/end`,
    { conversationId: event.conversationId, reason: conversation.handoffEndReason || 'user_ended' },
    { headers: { Authorization: `Bearer ${env.bridgeToken}` }, timeout: 10000 },
  )
  conversation.handoffActive = false
} catch (error) {
  console.error('Ending the handoff failed:', error.response ? error.response.status : error.message)
}
