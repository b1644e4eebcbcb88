/**
 * Build gates for a firmware bundle. Each returns the problems it found (empty = pass):
 *  - es5:      acorn parses it with ecmaVersion 5 (what JerryScript es5.1 and Espruino accept)
 *  - globals:  every free identifier is in the allowlist; guarded ones only after `typeof X`
 *  - order:    no function/var-assigned function is used before the statement that defines it
 *              (Espruino does not hoist), following calls transitively
 *  - size:     at most `maxBytes`
 */
import * as acorn from 'acorn';
import { ALLOWED_GLOBALS, GUARDED_GLOBALS } from './allowlist.js';

// acorn's ESTree nodes, walked generically.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type N = { type: string; start: number; end: number; [k: string]: any };

export interface GateProblem {
  gate: 'es5' | 'globals' | 'order' | 'size';
  message: string;
  /** offset into the bundle */
  at?: number;
}

export function parseEs5(code: string): { ast: N | null; problems: GateProblem[] } {
  try {
    return {
      ast: acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' }) as unknown as N,
      problems: [],
    };
  } catch (err) {
    const e = err as Error & { pos?: number };
    return { ast: null, problems: [{ gate: 'es5', message: `not ES5: ${e.message}`, at: e.pos }] };
  }
}

function children(node: N): N[] {
  const out: N[] = [];
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x.type === 'string') out.push(x as N);
    } else if (v && typeof v === 'object' && typeof v.type === 'string') out.push(v as N);
  }
  return out;
}

const isFn = (n: N) => n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression';

interface Scope {
  node: N;
  parent: Scope | null;
  names: Set<string>;
}

/** Names declared in a function (or program) scope: params, var, function declarations. */
function declaredIn(fnOrProgram: N): Set<string> {
  const names = new Set<string>();
  if (fnOrProgram.type !== 'Program') {
    for (const p of fnOrProgram.params as N[]) names.add(p.name);
    names.add('arguments');
    if (fnOrProgram.type === 'FunctionExpression' && fnOrProgram.id) names.add(fnOrProgram.id.name);
  }
  const visit = (n: N) => {
    if (n.type === 'VariableDeclarator') names.add(n.id.name);
    if (n.type === 'FunctionDeclaration') {
      names.add(n.id.name);
      return; // its body is its own scope
    }
    if (n.type === 'FunctionExpression') return;
    for (const c of children(n)) visit(c);
  };
  const body = fnOrProgram.type === 'Program' ? fnOrProgram : fnOrProgram.body;
  for (const c of children(body)) visit(c);
  return names;
}

function resolves(scope: Scope | null, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/** Identifier nodes that are references (not property names, not declarations, not labels). */
function forEachRef(root: N, fn: (id: N, scope: Scope, fnStack: N[]) => void): void {
  const walk = (n: N, scope: Scope, fnStack: N[], parent: N | null, key: string) => {
    if (n.type === 'Identifier') {
      if (parent) {
        if (parent.type === 'MemberExpression' && key === 'property' && !parent.computed) return;
        if (parent.type === 'Property' && key === 'key') return;
        if (
          (parent.type === 'LabeledStatement' ||
            parent.type === 'BreakStatement' ||
            parent.type === 'ContinueStatement') &&
          key === 'label'
        )
          return;
      }
      fn(n, scope, fnStack);
      return;
    }
    if (isFn(n) || n.type === 'Program') {
      const inner: Scope =
        n.type === 'Program' ? scope : { node: n, parent: scope, names: declaredIn(n) };
      const stack = n.type === 'Program' ? fnStack : [...fnStack, n];
      const body = n.type === 'Program' ? n.body : [n.body];
      for (const c of body as N[]) walk(c, inner, stack, n, 'body');
      return;
    }
    if (n.type === 'CatchClause') {
      const inner: Scope = { node: n, parent: scope, names: new Set([n.param.name]) };
      walk(n.body, inner, fnStack, n, 'body');
      return;
    }
    for (const key2 of Object.keys(n)) {
      if (key2 === 'type' || key2 === 'start' || key2 === 'end') continue;
      const v = n[key2];
      const list = Array.isArray(v) ? v : [v];
      for (const c of list)
        if (c && typeof c === 'object' && typeof c.type === 'string')
          walk(c as N, scope, fnStack, n, key2);
    }
  };
  const top: Scope = { node: root, parent: null, names: declaredIn(root) };
  walk(root, top, [], null, '');
}

export function checkGlobals(ast: N): GateProblem[] {
  const problems: GateProblem[] = [];
  const guarded = new Set<string>(GUARDED_GLOBALS);
  // positions of `typeof X` per name, with the function they are in
  const typeofs: { name: string; at: number; fn: N | undefined }[] = [];
  const collect = (n: N, fnStack: N[]) => {
    if (
      n.type === 'UnaryExpression' &&
      n.operator === 'typeof' &&
      n.argument.type === 'Identifier'
    ) {
      typeofs.push({ name: n.argument.name, at: n.start, fn: fnStack[fnStack.length - 1] });
    }
    const stack = isFn(n) ? [...fnStack, n] : fnStack;
    for (const c of children(n)) collect(c, stack);
  };
  collect(ast, []);
  const operands = new Set<number>();
  const findOperands = (n: N) => {
    if (n.type === 'UnaryExpression' && n.operator === 'typeof' && n.argument.type === 'Identifier')
      operands.add(n.argument.start);
    for (const c of children(n)) findOperands(c);
  };
  findOperands(ast);
  const wrapper = wrapperOf(ast);
  const seen = new Set<string>();
  forEachRef(ast, (id, scope, fnStack) => {
    const name = id.name as string;
    if (resolves(scope, name)) return;
    if (!ALLOWED_GLOBALS.has(name)) {
      if (!seen.has(name))
        problems.push({
          gate: 'globals',
          message: `global '${name}' is not in the Espruino allowlist (firmware/tools/allowlist.ts)`,
          at: id.start,
        });
      seen.add(name);
      return;
    }
    if (!guarded.has(name) || operands.has(id.start)) return;
    // guarded: a `typeof name` earlier in this function or an enclosing one (not the bundle wrapper)
    const ok = typeofs.some(
      (t) =>
        t.name === name &&
        t.at < id.start &&
        t.fn !== undefined &&
        t.fn !== wrapper &&
        fnStack.includes(t.fn),
    );
    if (!ok)
      problems.push({
        gate: 'globals',
        message: `'${name}' is optional on Espruino/JerryScript hosts: use it only after a typeof ${name} check in the same function`,
        at: id.start,
      });
  });
  return problems;
}

/** The function of a `(function(){…})()` / `!function(){…}()` bundle wrapper, if any. */
function wrapperOf(ast: N): N | undefined {
  if (ast.body.length !== 1 || ast.body[0].type !== 'ExpressionStatement') return undefined;
  let e = ast.body[0].expression as N;
  if (e.type === 'UnaryExpression') e = e.argument;
  if (e.type === 'CallExpression' && e.callee.type === 'FunctionExpression') return e.callee;
  return undefined;
}

/** Identifiers a subtree references without entering nested functions (IIFEs are entered). */
function eagerRefs(n: N, out: Set<string>): Set<string> {
  if (n.type === 'Identifier') {
    out.add(n.name);
    return out;
  }
  if (n.type === 'FunctionDeclaration') return out;
  if (n.type === 'FunctionExpression') return out;
  if (n.type === 'CallExpression' && n.callee.type === 'FunctionExpression') {
    for (const s of n.callee.body.body as N[]) eagerRefs(s, out);
    for (const a of n.arguments as N[]) eagerRefs(a, out);
    return out;
  }
  if (n.type === 'MemberExpression' && !n.computed) return eagerRefs(n.object, out);
  if (n.type === 'Property') return eagerRefs(n.value, out);
  for (const c of children(n)) eagerRefs(c, out);
  return out;
}

/** In every scope body: no statement runs (directly or through calls) a function defined later. */
export function checkOrder(ast: N): GateProblem[] {
  const problems: GateProblem[] = [];
  const checkBody = (stmts: N[]) => {
    const defAt = new Map<string, number>();
    const bodyOf = new Map<string, N[]>();
    stmts.forEach((s, i) => {
      if (s.type === 'FunctionDeclaration') {
        defAt.set(s.id.name, i);
        bodyOf.set(s.id.name, s.body.body);
      }
      if (s.type === 'VariableDeclaration') {
        for (const d of s.declarations as N[]) {
          if (d.init && d.init.type === 'FunctionExpression') {
            defAt.set(d.id.name, i);
            bodyOf.set(d.id.name, d.init.body.body);
          }
        }
      }
    });
    stmts.forEach((s, i) => {
      if (s.type === 'FunctionDeclaration') return;
      const pending = [...eagerRefs(s, new Set())];
      const visited = new Set<string>();
      while (pending.length) {
        const name = pending.pop() as string;
        if (visited.has(name)) continue;
        visited.add(name);
        const at = defAt.get(name);
        if (at === undefined) continue;
        if (
          at >= i &&
          !(at === i && s.type === 'VariableDeclaration' && !eagerRefsBeforeInit(s, name))
        ) {
          problems.push({
            gate: 'order',
            message: `'${name}' is used before its definition (Espruino does not hoist functions)`,
            at: s.start,
          });
          continue;
        }
        for (const b of bodyOf.get(name) ?? []) pending.push(...eagerRefs(b, new Set()));
      }
    });
  };
  const walk = (n: N) => {
    if (n.type === 'Program') checkBody(n.body);
    if (isFn(n)) checkBody(n.body.body);
    for (const c of children(n)) walk(c);
  };
  walk(ast);
  return problems;
}

/** For `var f = function(){}, x = f()`: whether `name` is used eagerly in a declarator before its own. */
function eagerRefsBeforeInit(decl: N, name: string): boolean {
  for (const d of decl.declarations as N[]) {
    if (d.id.name === name) return false;
    if (d.init && eagerRefs(d.init, new Set()).has(name)) return true;
  }
  return false;
}

export function runGates(code: string, maxBytes: number): GateProblem[] {
  const { ast, problems } = parseEs5(code);
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > maxBytes)
    problems.push({
      gate: 'size',
      message: `bundle is ${bytes} bytes, over the ${maxBytes}-byte budget`,
    });
  if (!ast) return problems;
  return [...problems, ...checkGlobals(ast), ...checkOrder(ast)];
}

/** Rough Espruino variable count: code text in 12-char blocks, plus per function and per name. */
export function estimateVariables(code: string): number {
  const { ast } = parseEs5(code);
  let fns = 0;
  let names = 0;
  const walk = (n: N) => {
    if (isFn(n)) fns++;
    if (n.type === 'VariableDeclarator') names++;
    if (n.type === 'Property') names++;
    for (const c of children(n)) walk(c);
  };
  if (ast) walk(ast);
  return Math.ceil(Buffer.byteLength(code, 'utf8') / 12) + fns * 4 + names * 2;
}
