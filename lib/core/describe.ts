import fs from 'node:fs';
import { isMap, isScalar, parseDocument } from 'yaml';
import { DEFAULT_CONFIG_FILE } from './config.js';
import { COMMON_OPTIONS } from './options.js';
import { stages } from './registry.js';
import type { OptionSpec, Stage } from './stage.js';

/** Documentation generated from the stage specs: the README's table and `--describe`. */

function format(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function typeOf(spec: OptionSpec): string {
  return spec.values ? spec.values.join(' \\| ') : spec.type;
}

/** One line per stage: name, kind, summary. */
export function listStages(): string {
  const list = Object.values(stages);
  const width = Math.max(...list.map((s) => s.name.length));
  return list.map((s) => `${s.name.padEnd(width)}  ${s.kind.padEnd(9)}  ${s.summary}`).join('\n') + '\n';
}

/** The README's stage table, one row per stage with its options. */
export function stagesMarkdown(): string {
  const rows = Object.values(stages).map((s) => {
    const options = Object.entries(s.options as Record<string, OptionSpec>)
      .map(([name, spec]) => `\`${name}\` (${typeOf(spec)}${spec.default !== undefined ? `, default \`${format(spec.default)}\`` : ''})`)
      .join('<br>');
    return `| \`${s.name}\` | ${s.kind} | ${s.summary} | ${options || '—'} |`;
  });
  return ['| stage | kind | what it does | options |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

/** Everything about one stage, for `run-pipeline --describe STAGE`. */
export function describeStage(stage: Stage<any>): string {
  const lines = [`${stage.name} (${stage.kind})`, '', `  ${stage.summary}`, '', 'Options:'];
  const all: Record<string, OptionSpec> = { ...stage.options, ...COMMON_OPTIONS };
  for (const [name, spec] of Object.entries(all)) {
    lines.push(`  ${name}  ${spec.values ? spec.values.join(' | ') : spec.type}${spec.required ? '  (required)' : ''}`);
    lines.push(`      ${spec.description}`);
    if (spec.default !== undefined) lines.push(`      default: ${format(spec.default)}`);
    if (spec.config) lines.push(`      config:  maintenance_config.${spec.config}`);
    if (spec.example !== undefined) lines.push(`      example: ${format(spec.example)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The README's configuration table: every key of the bundled config/maintenance.yaml with its
 * default, the stage options it gives defaults to, and the file's own comment on it.
 */
export function configMarkdown(file = DEFAULT_CONFIG_FILE): string {
  const users = new Map<string, string[]>();
  for (const stage of Object.values(stages)) {
    for (const [name, spec] of Object.entries(stage.options as Record<string, OptionSpec>)) {
      if (spec.config) users.set(spec.config, [...(users.get(spec.config) ?? []), `${stage.name}.${name}`]);
    }
  }
  const usersOf = (dotted: string): string[] => {
    for (let path = dotted; path; path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '') {
      const found = users.get(path);
      if (found) return path === dotted ? found.map((u) => `\`${u}\``) : found.map((u) => `\`${u}\` (\`${dotted.slice(path.length + 1)}\`)`);
    }
    return [];
  };
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const root = doc.get('maintenance_config', true);
  const rows: string[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const dotted = prefix ? `${prefix}.${key}` : key;
      const value = pair.value as { toJSON?: () => unknown; comment?: string | null } | null;
      if (isMap(value) && value.items.length > 0 && !isFlowMap(value)) {
        walk(value, dotted);
        continue;
      }
      const comment = (value?.comment ?? '').trim().replace(/\s*\n\s*/g, ' ');
      const shown = JSON.stringify(value && typeof value.toJSON === 'function' ? value.toJSON() : ((value as { value?: unknown } | null)?.value ?? null));
      const used = usersOf(dotted).join(', ');
      rows.push(`| \`${dotted}\` | \`${shown.length > 60 ? `${shown.slice(0, 57)}…` : shown}\` | ${used || '—'} | ${comment.replace(/\|/g, '\\|')} |`);
    }
  };
  walk(root, '');
  return ['| key (below `maintenance_config`) | default | gives the default of | notes |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

function isFlowMap(node: unknown): boolean {
  return isMap(node) && (node as { flow?: boolean }).flow === true;
}
