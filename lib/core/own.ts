/**
 * Field access for objects whose keys are data (a record's fields, an operation's, a mapping's),
 * where a field may be named as a member of Object.prototype (`toString`, `valueOf`, `constructor`,
 * `hasOwnProperty`, `__proto__`). Plain `object[key]` reads `Object.prototype.toString` from an
 * object without that field, and plain assignment to `__proto__` replaces the prototype instead of
 * adding a field; these two do neither.
 */

/** The object's own value for `key`; undefined when the object has no such field of its own. */
export function own<T = unknown>(object: object | undefined | null, key: string): T | undefined {
  return object != null && Object.hasOwn(object, key) ? (object as Record<string, T>)[key] : undefined;
}

/** Sets `key` as the object's own field, `__proto__` included. */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
