import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a user's own configuration is and whether their own data is configured at all. The tool
 * runs on the user's database and base only when told where they are; sample data only when asked
 * (`--sample`). Nothing here falls back from one to the other.
 */

/** The configuration file looked for in the working directory. */
export const USER_CONFIG_FILE = 'lead-maintenance.yaml';

/**
 * The configuration file to use: the one given (`--config FILE`), else `./lead-maintenance.yaml`
 * when it exists, else undefined (the bundled defaults).
 */
export function findUserConfig(given: string | undefined, cwd: string = process.cwd()): string | undefined {
  if (given !== undefined) return path.resolve(cwd, given);
  const beside = path.join(cwd, USER_CONFIG_FILE);
  return fs.existsSync(beside) ? beside : undefined;
}

/** What a run on the user's own data needs from the environment. */
export const OWN_DATA_VARIABLES = ['AIRTABLE_TOKEN', 'AIRTABLE_BASE_ID', 'LEADS_DB'] as const;

/** Names other Airtable tools give the token; set by mistake, they deserve a word. */
export const OTHER_TOKEN_NAMES = ['AIRTABLE_KEY', 'AIRTABLE_API_KEY'];

const set = (env: NodeJS.ProcessEnv, name: string): boolean => Boolean(env[name]?.trim());

/**
 * Why a run on the user's own data cannot start, or undefined when it can: with none of the
 * variables set, how to start (sample data, `--init`, the variables); with some, which are missing.
 * `needs` is what the command needs (all three, unless it touches one system only).
 */
export function ownDataProblem(env: NodeJS.ProcessEnv, needs: readonly string[] = OWN_DATA_VARIABLES): string | undefined {
  const missing = needs.filter((name) => !set(env, name));
  if (missing.length === 0) return undefined;
  const given = [...OWN_DATA_VARIABLES, 'AIRTABLE_ENDPOINT_URL'].filter((name) => set(env, name));
  const otherNames = OTHER_TOKEN_NAMES.filter((name) => set(env, name));
  const hint =
    otherNames.length && missing.includes('AIRTABLE_TOKEN')
      ? `\n${otherNames.join(' and ')} ${otherNames.length > 1 ? 'are' : 'is'} set: other Airtable tools use ${otherNames.length > 1 ? 'those names' : 'that name'}; this one reads the token from AIRTABLE_TOKEN (e.g. export AIRTABLE_TOKEN="$${otherNames[0]}").`
      : '';
  if (given.length === 0) {
    return (
      [
        'Nothing to work on yet: db-maintenance works on your SQLite lead database and your Airtable base, or on sample data when asked.',
        '  Try it on sample data (no account needed):  db-maintenance --full-maintenance --sample   (npm start does this)',
        '  Use your own data: set AIRTABLE_TOKEN (a personal access token, pat…), AIRTABLE_BASE_ID (app…) and LEADS_DB (the SQLite file),',
        '  then write a configuration from their schemas with  db-maintenance --init  and check it with a --dry-run.',
      ].join('\n') + hint
    );
  }
  const list = (names: string[]): string => (names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]!);
  return (
    `Your own data is only partly configured: ${list(missing)} ${missing.length > 1 ? 'are' : 'is'} not set (${list(given)} ${given.length > 1 ? 'are' : 'is'}). ` +
    `Set ${missing.length > 1 ? 'them' : 'it'}, or run on sample data with --sample. Nothing was changed.${hint}`
  );
}

/** The environment a command needs on the user's own data: status reads run state only; a local rollback needs no Airtable. */
export function ownDataNeeds(command: string, system: string | undefined, env: NodeJS.ProcessEnv): readonly string[] {
  if (command === 'status') return env.LEADS_STATE_DIR ? [] : ['LEADS_DB'];
  if (command === 'rollback' && system === 'local') return ['LEADS_DB'];
  return OWN_DATA_VARIABLES;
}
