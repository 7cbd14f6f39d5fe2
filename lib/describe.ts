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
