import { stableId } from './ids.js';
import { ALL_SCOPES, type State, type TokenGrant } from './state.js';
import type { BaseDef } from './schema.js';

/** Whether a token was given this base (contract §1: a token works only on bases added to it). */
export function canAccess(grant: TokenGrant, baseId: string): boolean {
  return !grant.bases || grant.bases.includes(baseId);
}

/** `GET /v0/meta/whoami`. The user id is derived from the owner, never from the raw token text. */
export function whoami(token: string, grant: TokenGrant): unknown {
  return { id: stableId('usr', grant.owner ?? token), scopes: grant.scopes ?? ALL_SCOPES };
}

/** `GET /v0/meta/bases`: the bases this token can see. */
export function listBases(state: State, grant: TokenGrant): unknown {
  return {
    bases: state.store
      .bases()
      .filter((b) => canAccess(grant, b.id))
      .map((b) => ({ id: b.id, name: b.name, permissionLevel: 'create' })),
  };
}

/** `GET /v0/meta/bases/{id}/tables`, optionally with `include[]=visibleFieldIds`. */
export function baseTables(base: BaseDef, visibleFieldIds: boolean): unknown {
  return {
    tables: base.tables.map((t) => ({
      id: t.id,
      name: t.name,
      primaryFieldId: t.primaryFieldId,
      ...(t.description ? { description: t.description } : {}),
      fields: t.fields.map((f) => ({
        id: f.id,
        name: f.name,
        type: f.type,
        ...(f.description ? { description: f.description } : {}),
        ...(f.options ? { options: f.options } : {}),
      })),
      views: t.views.map((v) => ({
        id: v.id,
        name: v.name,
        type: v.type,
        ...(visibleFieldIds && v.type === 'grid' ? { visibleFieldIds: t.fields.map((f) => f.id) } : {}),
      })),
    })),
  };
}
