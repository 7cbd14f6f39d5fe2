import { expect } from 'chai';
import { substituteEnv } from '../../../lib/core/env.js';

describe('${VAR} substitution', () => {
  const env = { DB: 'data/leads.db', EMPTY: '' };

  it('replaces a set variable', () => {
    expect(substituteEnv('${DB}', env)).to.deep.equal({ value: 'data/leads.db', missing: [] });
  });

  it('uses the default when the variable is unset or empty', () => {
    expect(substituteEnv('${NOPE:-fallback.db}', env).value).to.equal('fallback.db');
    expect(substituteEnv('${EMPTY:-fallback.db}', env).value).to.equal('fallback.db');
  });

  it('prefers the variable over its default', () => {
    expect(substituteEnv('${DB:-other.db}', env).value).to.equal('data/leads.db');
  });

  it('names every unset variable without a default', () => {
    expect(substituteEnv('${A}/${B:-b}/${C}', env).missing).to.deep.equal(['A', 'C']);
  });

  it('substitutes inside longer strings and allows an empty default', () => {
    expect(substituteEnv('backups/${DB}.bak', env).value).to.equal('backups/data/leads.db.bak');
    expect(substituteEnv('x${NOPE:-}y', env)).to.deep.equal({ value: 'xy', missing: [] });
  });

  it('substitutes variables inside a default, naming the unset ones', () => {
    expect(substituteEnv('${NOPE:-${DB}.bak}', env)).to.deep.equal({ value: 'data/leads.db.bak', missing: [] });
    expect(substituteEnv('${DB:-${A}}', env)).to.deep.equal({ value: 'data/leads.db', missing: [] });
    expect(substituteEnv('${NOPE:-${A}/x}', env)).to.deep.equal({ value: '/x', missing: ['A'] });
  });

  it('keeps $${ as a literal ${', () => {
    expect(substituteEnv('cost $${DB}', env).value).to.equal('cost ${DB}');
  });

  it('leaves text without references alone', () => {
    expect(substituteEnv('plain $HOME text', env)).to.deep.equal({ value: 'plain $HOME text', missing: [] });
  });
});
