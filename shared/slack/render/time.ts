/** A time each reader sees in their own time zone (Slack's date formatting, `{time}`), with the UTC time as the fallback. */
export const slackTime = (epochMs: number): string => `<!date^${Math.floor(epochMs / 1000)}^{time}|${new Date(epochMs).toISOString().slice(11, 16)} UTC>`;
