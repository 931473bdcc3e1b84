/*
 * What Slack's Web API refuses of a message, as its documentation states the
 * limits (https://api.slack.com/reference/block-kit/blocks and the elements'
 * pages, chat.postMessage): the stand-ins of the tests and the sandbox answer
 * with these refusals, in Slack's own shape, so that the bridge is held to what
 * Slack holds it to. Lengths are counted as JavaScript counts them.
 */

export interface SlackRefusal {
  readonly ok: false;
  readonly error: string;
  readonly response_metadata?: { readonly messages: readonly string[] };
}

const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);
const MAX_TEXT = 40_000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (object: unknown): string | undefined => (isObject(object) && typeof object.text === 'string' ? object.text : undefined);

/** Slack's answer to a message call it refuses, or undefined when it takes it. */
export function slackRefusal(method: string, args: Json): SlackRefusal | undefined {
  if (!MESSAGE_METHODS.has(method)) return undefined;
  const text = typeof args.text === 'string' ? args.text : undefined;
  const blocks = typeof args.blocks === 'string' ? safeJson(args.blocks) : args.blocks;
  if (blocks === undefined && (text === undefined || text.trim() === '')) return { ok: false, error: 'no_text' };
  if (text !== undefined && text.length > MAX_TEXT) return { ok: false, error: 'msg_too_long' };
  if (blocks === undefined) return undefined;
  const problems = blockProblems(blocks);
  return problems.length > 0 ? { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) } } : undefined;
}

function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  const problems: string[] = [];
  const check = (value: string | undefined, max: number, pointer: string) => {
    if (value !== undefined && value.length > max) problems.push(`must be less than ${max + 1} characters [json-pointer:${pointer}]`);
  };
  if (blocks.length > 50) problems.push('must be less than 51 items [json-pointer:/blocks]');
  blocks.forEach((block: unknown, index) => {
    const at = `/blocks/${index}`;
    if (!isObject(block)) return problems.push(`must be an object [json-pointer:${at}]`);
    if (typeof block.block_id === 'string') check(block.block_id, 255, `${at}/block_id`);
    switch (block.type) {
      case 'header':
        check(textOf(block.text), 150, `${at}/text/text`);
        break;
      case 'section': {
        if (block.text === undefined && block.fields === undefined) problems.push(`must provide text or fields [json-pointer:${at}]`);
        check(textOf(block.text), 3_000, `${at}/text/text`);
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (fields.length > 10) problems.push(`must be less than 11 items [json-pointer:${at}/fields]`);
        fields.forEach((field: unknown, f) => check(textOf(field), 2_000, `${at}/fields/${f}/text`));
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length > 10) problems.push(`must be less than 11 items [json-pointer:${at}/elements]`);
        elements.forEach((element: unknown, e) => check(textOf(element), 3_000, `${at}/elements/${e}/text`));
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length > 25) problems.push(`must be less than 26 items [json-pointer:${at}/elements]`);
        elements.forEach((element: unknown, e) => {
          if (!isObject(element)) return;
          check(textOf(element.text), 75, `${at}/elements/${e}/text/text`);
          if (typeof element.value === 'string') check(element.value, 2_000, `${at}/elements/${e}/value`);
          if (typeof element.action_id === 'string') check(element.action_id, 255, `${at}/elements/${e}/action_id`);
          // The confirmation dialog object: https://api.slack.com/reference/block-kit/composition-objects#confirm
          if (isObject(element.confirm)) {
            const dialog = element.confirm;
            for (const [field, max] of [['title', 100], ['text', 300], ['confirm', 30], ['deny', 30]] as const) check(textOf(dialog[field]), max, `${at}/elements/${e}/confirm/${field}/text`);
          }
        });
        break;
      }
      default:
        break;
    }
    return undefined;
  });
  return problems;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
