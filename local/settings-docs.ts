import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRET_NAMES, SECRETS, SETTING_KEYS, SETTINGS, type SettingDeclaration } from '../shared/platform/settings';

/*
 * README's settings table and `.env.example`, rendered from the one declaration
 * (shared/platform/settings.ts). `npm run docs` writes both; test/shared/platform/settings.test.ts
 * fails when either differs from what this renders.
 */

const documented = SETTING_KEYS.map((key) => SETTINGS[key] as SettingDeclaration).filter((setting) => !setting.internal);
const WHERE: Record<SettingDeclaration['where'], string> = { functions: 'both', aws: 'AWS', local: 'local' };
const code = (text: string | undefined): string => (text === undefined ? '' : `\`${text}\``);

export const README_TABLE_START = '<!-- settings table: npm run docs writes it from shared/platform/settings.ts -->';
export const README_TABLE_END = '<!-- end of settings table -->';

export function settingsTable(): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    row(['Variable', 'Where', 'Required', 'Default', 'Meaning']),
    row(['---', '---', '---', '---', '---']),
    ...SECRET_NAMES.map((name) => row([code(SECRETS[name].env), `secret ${code(name)}`, 'yes', '—', SECRETS[name].meaning])),
    ...documented.map((setting) =>
      row([
        code(setting.env),
        WHERE[setting.where],
        setting.required ? 'yes' : 'no',
        setting.localDefault === undefined ? (code(setting.default) || '—') : `${code(setting.localDefault)} (local)`,
        setting.meaning,
      ]),
    ),
  ].join('\n');
}

export function envExample(): string {
  // DOTENV_CONFIG_PATH names the file itself, so it is read from the environment only.
  const local = documented.filter((setting) => setting.where !== 'aws' && setting !== SETTINGS.envFile);
  const required = local.filter((setting) => setting.required && setting.localDefault === undefined);
  const optional = local.filter((setting) => !required.includes(setting));
  const lines = [
    '# npm start reads these from the environment or from a .env file beside package.json (copy this file).',
    '# With none of the required ones set, it runs the sandbox instead. Declared in shared/platform/settings.ts.',
    '',
    '# Required.',
    ...SECRET_NAMES.flatMap((name) => [`# ${SECRETS[name].meaning}`, `${SECRETS[name].env}=`]),
    ...required.flatMap((setting) => [`# ${setting.meaning}`, `${setting.env}=`]),
    '',
    '# Optional: uncomment to change.',
    ...optional.flatMap((setting) => [`# ${setting.meaning}`, `# ${setting.env}=${setting.default ?? setting.localDefault ?? ''}`]),
  ];
  return `${lines.join('\n')}\n`;
}

/** README with its settings table replaced by the rendered one. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no settings table markers (${README_TABLE_START} … ${README_TABLE_END})`);
  return `${readme.slice(0, start + README_TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const readmePath = path.join(root, 'README.md');
  writeFileSync(readmePath, withSettingsTable(readFileSync(readmePath, 'utf8')));
  writeFileSync(path.join(root, '.env.example'), envExample());
  process.stdout.write('wrote the settings table in README.md and .env.example\n');
}
