// Botpress Studio: Execute Code card "Start human handoff".
// Opens a thread in the Slack support channel with the conversation's summary.
// Needs the configuration variables bridgeUrl (the BotpressBaseUrl output, ending in /botpress) and bridgeToken.
// Optional workflow variables: customerName, customerEmail, handoffSummary (used when the Summary Agent is off).
// Sets workflow.handoffStatus to 'created', 'already_open', 'queued' (Slack was busy: the bridge posts the card as soon as it can,
// and forwards what the customer writes meanwhile) or 'failed', and workflow.handoffThreadTs to the Slack thread when it exists.

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
  workflow.handoffSummary ||
  'The customer asked to talk to a person.'

const customer = {}
if (workflow.customerName) customer.name = String(workflow.customerName)
if (workflow.customerEmail) customer.email = String(workflow.customerEmail)

const body = {
  conversationId: event.conversationId,
  userId: event.userId,
  summary: String(summary).slice(0, 2800),
}
if (Object.keys(customer).length > 0) body.customer = customer
const recent = transcript.filter((turn) => turn.text.trim()).slice(-20)
if (recent.length > 0) body.transcript = recent.map((turn) => ({ role: turn.role, text: turn.text.slice(0, 4000) }))

try {
  const response = await axios.post(`${env.bridgeUrl}/handoff`, body, {
    headers: { Authorization: `Bearer ${env.bridgeToken}` },
    timeout: 15000,
  })
  workflow.handoffStatus = response.data.status
  workflow.handoffThreadTs = response.data.threadTs
} catch (error) {
  workflow.handoffStatus = 'failed'
  // A 502 with retryable: false says what a person must fix (e.g. invite the app to the Slack channel).
  console.error('Handoff to Slack failed:', error.response ? error.response.status : error.message, error.response && error.response.data)
}
