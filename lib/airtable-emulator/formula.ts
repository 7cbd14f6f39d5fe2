import { errors } from './errors.js';
import { callFunction, FormulaError, type Env, type Value, compare, equals, toNumber, toText } from './formula-functions.js';

/**
 * The `filterByFormula` subset of the contract's §9.5: field references (`{Name}`, `{fld…}`
 * or a bare word), string and number literals, `= != <> < > <= >=`, `&`, `+ - * /`, and the
 * functions in formula-functions.ts. Field names are resolved when parsing, so an unknown name
 * is a 422 before any record is read, as on the real API.
 */

export type Node =
  | { k: 'lit'; v: Value }
  | { k: 'field'; id: string }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'neg'; e: Node };

type Token = { t: 'num' | 'str' | 'field' | 'word' | 'op' | 'punc'; v: string };

const OPS = ['!=', '<>', '<=', '>=', '=', '<', '>', '&', '+', '-', '*', '/'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let v = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (i >= src.length) throw new FormulaError('unterminated string');
      i++;
      out.push({ t: 'str', v });
    } else if (c === '{') {
      const end = src.indexOf('}', i);
      if (end < 0) throw new FormulaError('unterminated field reference');
      out.push({ t: 'field', v: src.slice(i + 1, end) });
      i = end + 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new FormulaError('bad number');
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punc', v: c });
      i++;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new FormulaError(`unexpected character ${c}`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return out;
}

const LEVELS = [['=', '!=', '<>', '<', '>', '<=', '>='], ['&'], ['+', '-'], ['*', '/']];

/** Parses `src`; `resolve` maps a field name or id to its id, or undefined when unknown. */
export function parseFormula(src: string, resolve: (name: string) => string | undefined): Node {
  let tokens: Token[];
  try {
    tokens = tokenize(src);
  } catch (e) {
    if (e instanceof FormulaError) throw errors.invalidFormula();
    throw e;
  }
  const unknown: string[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const field = (name: string): Node => {
    const id = resolve(name);
    if (!id) unknown.push(name);
    return { k: 'field', id: id ?? name };
  };
  const level = (n: number): Node => {
    if (n === LEVELS.length) return unary();
    let l = level(n + 1);
    while (peek()?.t === 'op' && LEVELS[n]!.includes(peek()!.v)) {
      const op = tokens[pos++]!.v;
      l = { k: 'bin', op: op === '<>' ? '!=' : op, l, r: level(n + 1) };
    }
    return l;
  };
  const unary = (): Node => {
    const tok = tokens[pos++];
    if (!tok) throw new FormulaError('unexpected end');
    if (tok.t === 'op' && tok.v === '-') return { k: 'neg', e: unary() };
    if (tok.t === 'num') return { k: 'lit', v: Number(tok.v) };
    if (tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'field') return field(tok.v);
    if (tok.t === 'punc' && tok.v === '(') {
      const e = level(0);
      if (tokens[pos++]?.v !== ')') throw new FormulaError('missing )');
      return e;
    }
    if (tok.t === 'word') {
      if (peek()?.v !== '(') {
        const upper = tok.v.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { k: 'lit', v: upper === 'TRUE' };
        return field(tok.v);
      }
      pos++;
      const args: Node[] = [];
      if (peek()?.v !== ')') {
        for (;;) {
          args.push(level(0));
          if (peek()?.v === ',') {
            pos++;
            continue;
          }
          break;
        }
      }
      if (tokens[pos++]?.v !== ')') throw new FormulaError('missing )');
      return { k: 'call', name: tok.v.toUpperCase(), args };
    }
    throw new FormulaError(`unexpected ${tok.v}`);
  };
  let node: Node;
  try {
    node = level(0);
    if (pos < tokens.length) throw new FormulaError(`unexpected ${tokens[pos]!.v}`);
    checkFunctions(node);
  } catch (e) {
    if (unknown.length) throw errors.invalidFormula(unknown);
    if (e instanceof FormulaError) throw errors.invalidFormula();
    throw e;
  }
  if (unknown.length) throw errors.invalidFormula(unknown);
  return node;
}

function checkFunctions(n: Node): void {
  if (n.k === 'call') {
    callFunction(n.name, null);
    n.args.forEach(checkFunctions);
  } else if (n.k === 'bin') {
    checkFunctions(n.l);
    checkFunctions(n.r);
  } else if (n.k === 'neg') checkFunctions(n.e);
}

/** Evaluates a parsed formula for one record; throws FormulaError for `#Error!` results. */
export function evaluate(n: Node, env: Env): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'field':
      return env.field(n.id);
    case 'neg':
      return -toNumber(evaluate(n.e, env));
    case 'call':
      if (n.name === 'LAST_MODIFIED_TIME') {
        return env.lastModified(n.args.map((a) => (a.k === 'field' ? a.id : '')).filter(Boolean));
      }
      return callFunction(n.name, { env, args: n.args.map((a) => () => evaluate(a, env)) });
    case 'bin': {
      const l = evaluate(n.l, env);
      const r = evaluate(n.r, env);
      switch (n.op) {
        case '&':
          return toText(l) + toText(r);
        case '+':
          return toNumber(l) + toNumber(r);
        case '-':
          return toNumber(l) - toNumber(r);
        case '*':
          return toNumber(l) * toNumber(r);
        case '/':
          return toNumber(l) / toNumber(r);
        case '=':
          return equals(l, r);
        case '!=':
          return !equals(l, r);
        default:
          return compare(n.op, l, r);
      }
    }
  }
}

/** Airtable's filter rule: excluded when the result is 0, false, "", NaN, [], blank or an error. */
export function isTruthy(v: Value): boolean {
  if (v === null || v === false || v === '' || v === 0) return false;
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}
