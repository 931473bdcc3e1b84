// Botpress Studio: Execute Code card "Start human handoff".
// Opens a thread in the Slack support channel with the conversation's summary.
// Needs the configuration variables bridgeUrl (the BotpressBaseUrl output, ending in /botpress) and bridgeToken.
// Conversation variables (create them in Studio, Variables → Conversation; conversation scope, so that every
// workflow, the Timeout workflow included, sees the same handoff): reads customerName, customerEmail,
// handoffSummary (String; the summary when the Summary Agent is off) and handoffQueue (String, optional: the
// queue, such as billing or tech, whose Slack channel the bridge's SLACK_QUEUE_CHANNELS names); sets handoffStatus (String: 'created',
// 'already_open', 'queued' when Slack was busy and the bridge posts the card as soon as it can, or 'failed'),
// handoffThreadTs (String) and handoffActive (Boolean).

// The Summary Agent's transcript is text, one "User: ..." or "Bot: ..." turn per line.
const transcript = []
const transcriptText = conversation.SummaryAgent && conversation.SummaryAgent.transcript
if (typeof transcriptText === 'string') {
  for (const line of transcriptText.split('\n')) {
    const turn = /^\s*(user|customer|bot|assistant)\s*:\s*(.*)$/i.exec(line)
    if (turn) transcript.push({ role: /^(user|customer)$/i.test(turn[1]) ? 'user' : 'bot', text: turn[2] })
    else if (transcript.length > 0 && line.trim()) transcript[transcript.length - 1].text += '\n' + line
  }
}

const summary =
  (conversation.SummaryAgent && conversation.SummaryAgent.summary) ||
  conversation.handoffSummary ||
  'The customer asked to talk to a person.'

const customer = {}
if (conversation.customerName) customer.name = String(conversation.customerName)
if (conversation.customerEmail) customer.email = String(conversation.customerEmail)

const body = {
  conversationId: event.conversationId,
  userId: event.userId,
  summary: String(summary).slice(0, 2800),
}
if (Object.keys(customer).length > 0) body.customer = customer
if (conversation.handoffQueue) body.queue = String(conversation.handoffQueue).trim()
const recent = transcript.filter((turn) => turn.text.trim()).slice(-20)
if (recent.length > 0) body.transcript = recent.map((turn) => ({ role: turn.role, text: turn.text.slice(0, 4000) }))

try {
  const response = await axios.post(`${env.bridgeUrl}/handoff`, body, {
    headers: { Authorization: `Bearer ${env.bridgeToken}` },
    timeout: 15000,
  })
  conversation.handoffStatus = response.data.status
  conversation.handoffThreadTs = response.data.threadTs
  conversation.handoffActive = true
} catch (error) {
  conversation.handoffStatus = 'failed'
  conversation.handoffActive = false
  // A 502 with retryable: false says what a person must fix (e.g. invite the app to the Slack channel).
  console.error('Handoff to Slack failed:', error.response ? error.response.status : error.message, error.response && error.response.data)
}
