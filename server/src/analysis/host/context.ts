/**
 * Where a string literal stands in its host program, for the extraction to decide whether it is a query to judge:
 * test code and assertions (an expected value, SQL sent to a throwaway database), the start of a query built at run
 * time (a fragment, or a prefix more text is appended to), and the down step of a migration.
 *
 * Pure functions over web-tree-sitter nodes: any node inside the literal, the literal, or the whole string
 * expression around it (concatenation, formatting call) may be given.
 */
import type { Node } from 'web-tree-sitter';
import { parentOf } from './ancestry';
import type { HostLanguage } from './grammars';

type Lang = HostLanguage;

/**
 * Told of every read of host text beyond the ancestors of the node judged (`from`: the node's start; the text read
 * is [start, end)): the extraction of an edited file keeps a string's result only when nothing it read was edited.
 */
let onTextRead: ((from: number, start: number, end: number) => void) | undefined;

export function setTextReadListener(listener: typeof onTextRead): void {
  onTextRead = listener;
}

/** Node types that end a function's body: a walk for the call or declaration around a literal stops there. */
const FUNCTION_TYPES = new Set([
  'arrow_function',
  'function_expression',
  'function_declaration',
  'generator_function_declaration',
  'method_definition',
  'function_definition',
  'lambda',
  'func_literal',
  'method_declaration',
  'function_item',
  'closure_expression',
]);

/**
 * How far up a literal's context is looked for (its function, call, class, migration step). Each `parent` costs the
 * node's depth in the grammar's runtime (it walks down from the root), so a walk to the root of a tree thousands of
 * levels deep (a generated expression, or code the grammar reads as one error) was quadratic: 100 s for one fuzzed
 * Go file. Real code sits a few dozen levels below what it is judged by.
 */
export const MAX_CONTEXT_DEPTH = 128;

function* ancestors(node: Node): Generator<Node> {
  let depth = 0;
  for (let n = parentOf(node); n && depth < MAX_CONTEXT_DEPTH; n = parentOf(n), depth++) yield n;
}

function within(node: Node, outer: Node | null | undefined): boolean {
  return !!outer && node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

/** A call's callee: the last name (`toBe`, `assert_eq!`, `new`), the full text, and the name or call it hangs off. */
interface Callee {
  name: string;
  text: string;
  /** The receiver (`expect(x)` of `expect(x).toBe`, `assert` of `assert.Equal`, `QueryBuilder` of `QueryBuilder::new`). */
  object: Node | null;
}

/** The callee of a call or macro node, or undefined for another node. */
function calleeOf(call: Node, lang: Lang): Callee | undefined {
  if (lang === 'rust' && call.type === 'macro_invocation') {
    const m = call.childForFieldName('macro');
    if (!m) return undefined;
    const name = m.type === 'scoped_identifier' ? m.childForFieldName('name')?.text : m.text;
    return name ? { name: `${name}!`, text: `${m.text}!`, object: m.type === 'scoped_identifier' ? m.childForFieldName('path') : null } : undefined;
  }
  if (call.type !== 'call_expression' && call.type !== 'call') return undefined;
  let fn = call.childForFieldName('function');
  // `QueryBuilder::<Postgres>::new`, `sql::<Bool>`, `pool.query<Row>(…)`
  while (fn && (fn.type === 'generic_function' || fn.type === 'instantiation_expression')) fn = fn.childForFieldName('function') ?? fn.namedChildren[0];
  if (!fn) return undefined;
  switch (fn.type) {
    case 'identifier':
      return { name: fn.text, text: fn.text, object: null };
    case 'member_expression':
      return named(fn, fn.childForFieldName('property'), fn.childForFieldName('object'));
    case 'attribute':
      return named(fn, fn.childForFieldName('attribute'), fn.childForFieldName('object'));
    case 'selector_expression':
      return named(fn, fn.childForFieldName('field'), fn.childForFieldName('operand'));
    case 'field_expression':
      return named(fn, fn.childForFieldName('field'), fn.childForFieldName('value'));
    case 'scoped_identifier':
      return named(fn, fn.childForFieldName('name'), fn.childForFieldName('path'));
    default:
      // `it.each([...])('…', fn)`: the callee is itself a call.
      return fn.type === 'call_expression' || fn.type === 'call' ? { name: '', text: fn.text, object: fn } : undefined;
  }
}

function named(fn: Node, name: Node | null, object: Node | null): Callee | undefined {
  return name ? { name: name.text, text: fn.text, object } : undefined;
}

/** The call's argument list (a macro's token tree, a tagged template). */
function argumentsOf(call: Node): Node | null {
  if (call.type === 'macro_invocation') return call.namedChildren.find((c) => c?.type === 'token_tree') ?? null;
  return call.childForFieldName('arguments');
}

/** The name a receiver chain starts from: `expect` for `expect(x).not.toBe`, `describe` for `describe.each([…])`. */
function rootName(n: Node | null): string | undefined {
  for (let depth = 0; n && depth < 12; depth++) {
    switch (n.type) {
      case 'identifier':
      case 'field_identifier':
      case 'property_identifier':
      case 'package_identifier':
        return n.text;
      case 'call_expression':
      case 'call':
        n = n.childForFieldName('function');
        break;
      case 'member_expression':
      case 'attribute':
      case 'field_expression':
        n = n.childForFieldName('object') ?? n.childForFieldName('value');
        break;
      case 'selector_expression':
        n = n.childForFieldName('operand');
        break;
      case 'scoped_identifier':
        n = n.childForFieldName('path');
        break;
      case 'generic_type':
        n = n.childForFieldName('type');
        break;
      case 'type_identifier':
        return n.text;
      default:
        return undefined;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Test code

/** Rust attributes that make an item test code: `#[cfg(test)]`, `#[test]`, `#[tokio::test]`, `#[sqlx::test(…)]`, `#[rstest]`. */
const RUST_TEST_ATTRIBUTE = /^#\s*\[\s*(?:cfg\s*\(\s*test\s*\)|(?:\w+::)*(?:test|rstest|test_case|bench|quickcheck|proptest)\b)/;
const RUST_ITEMS = new Set(['mod_item', 'function_item', 'impl_item', 'trait_item']);
const GO_TEST_FUNCTION = /^(?:Test|Benchmark|Fuzz|Example)(?:$|[A-Z0-9_])/;
/** A Go helper that takes the test's handle is test code too. */
const GO_TEST_PARAMS = /\*testing\.[TBFM]\b|\btesting\.TB\b/;
/** JavaScript test blocks and hooks whose callbacks are test code. */
const JS_TEST_BLOCKS = new Set(['describe', 'it', 'test', 'suite', 'beforeEach', 'afterEach', 'beforeAll', 'afterAll']);

/** Whether a Rust item carries a test attribute (attributes and comments are the item's preceding siblings). */
function rustTestItem(item: Node): boolean {
  for (let s = item.previousNamedSibling; s; s = s.previousNamedSibling) {
    if (s.type === 'attribute_item') {
      if (RUST_TEST_ATTRIBUTE.test(s.text)) return true;
    } else if (s.type !== 'line_comment' && s.type !== 'block_comment') return false;
  }
  return false;
}

/**
 * Whether `node` lies in test code: a Rust item with a test attribute, a Go `Test*`/`Benchmark*` function (or one
 * taking `*testing.T`), a Python `test_*` function, `Test*` class, unittest TestCase or pytest fixture, a JavaScript
 * `describe`/`it`/`test` (or hook) callback. SQL there runs against throwaway databases: advice on it is noise.
 */
export function inTestCode(node: Node, lang: Lang): boolean {
  for (const a of ancestors(node)) {
    switch (lang) {
      case 'rust':
        if (RUST_ITEMS.has(a.type) && rustTestItem(a)) return true;
        break;
      case 'go':
        if (a.type === 'function_declaration' || a.type === 'method_declaration') {
          const name = a.childForFieldName('name')?.text ?? '';
          if (GO_TEST_FUNCTION.test(name) || GO_TEST_PARAMS.test(a.childForFieldName('parameters')?.text ?? '')) return true;
        }
        break;
      case 'python':
        if (a.type === 'function_definition' && /^test/.test(a.childForFieldName('name')?.text ?? '')) return true;
        if (a.type === 'class_definition') {
          if (/^Test/.test(a.childForFieldName('name')?.text ?? '')) return true;
          if (/\bTestCase\b/.test(a.childForFieldName('superclasses')?.text ?? '')) return true;
        }
        if (a.type === 'decorated_definition' && a.namedChildren.some((d) => d?.type === 'decorator' && /^@\s*(?:pytest\.)?fixture\b/.test(d.text)))
          return true;
        break;
      default:
        if (a.type === 'call_expression' && JS_TEST_BLOCKS.has(rootName(a.childForFieldName('function')) ?? '')) {
          // Only inside a callback given to the block, not in its title.
          const args = a.childForFieldName('arguments');
          if (
            args?.namedChildren.some((c) => c && (c.type === 'arrow_function' || c.type === 'function_expression' || c.type === 'function') && within(node, c))
          )
            return true;
        }
    }
  }
  return false;
}

/** Whether a file is test code by its path (`*_test.go`, `test_*.py`, `*.spec.ts`, a `tests/` directory). */
export function isTestPath(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return (
    /(?:^|\/)(?:tests?|__tests__|testdata|spec)\//.test(p) ||
    /_test\.go$/.test(p) ||
    /(?:^|\/)(?:test_[^/]*|[^/]*_test|conftest)\.pyi?$/.test(p) ||
    /\.(?:test|spec)\.[cm]?[jt]sx?$/.test(p)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Assertions

/** Calls whose arguments are expected values: assertions, matchers, mock expectations (sqlmock `ExpectQuery`). */
const ASSERT_NAME =
  /^(?:assert\w*|Assert\w*|debug_assert\w*|prop_assert\w*|expect\w*|Expect\w*|assert_called\w*|assert_any_call|assert_has_calls|approx|to(?:Equal|StrictEqual|Be\w*|Match\w*|Contain\w*|Have\w*|Throw\w*)|(?:deep|strict|not)?(?:Equal|equal)s?|deepStrictEqual|notStrictEqual|is|same)!?$/;
/** Receivers whose every method is an assertion: `assert.Equal`, `require.Contains` (Go), `expect(x).to.equal` (chai). */
const ASSERT_ROOT = new Set(['assert', 'require', 'expect', 'should', 'assertThat']);
/** Go testify suites: `s.Require().Equal`, `suite.Assert().Contains`. */
const GO_SUITE_ASSERT = /\.(?:Require|Assert)\(\)$/;
/** Checks on a string, not a query: the literal is a needle or the haystack. */
const STRING_CHECKS = new Set([
  'includes',
  'startsWith',
  'endsWith',
  'indexOf',
  'startswith',
  'endswith',
  'find',
  'contains',
  'starts_with',
  'ends_with',
  'Contains',
  'HasPrefix',
  'HasSuffix',
  'Index',
  'EqualFold',
]);
/** Names a literal is assigned to when it is the expected result: `expected`, `expectedSql`, `expected_query`, Go `want`. */
const EXPECTED_NAME = /^(?:expected|want(?![a-z]))/i;

/** Whether the call around an argument is an assertion or a string check. */
function assertionCall(call: Node, lang: Lang, node: Node): boolean {
  const c = calleeOf(call, lang);
  if (!c) return false;
  const args = argumentsOf(call);
  const inArgs = within(node, args);
  if (inArgs && c.name && ASSERT_NAME.test(c.name)) {
    // `is`/`same`/`equal…` alone are too common; they count on an assertion receiver (`t.is`, `assert.equal`).
    if (!/^(?:is|same|(?:deep|strict|not)?(?:Equal|equal)s?)$/.test(c.name)) return true;
    if (c.object && /^(?:t|assert|expect|should|require|s|suite)$/.test(rootName(c.object) ?? '')) return true;
  }
  if (inArgs && c.object) {
    // `expect(x).not.toBe(…)`, `assert.Equal(…)`, `expect(x).to.equal(…)`: the receiver chain starts at an assertion.
    // (`require` is JavaScript's module loader, an assertion receiver in Go only.)
    const root = rootName(c.object);
    if (root && ASSERT_ROOT.has(root) && !(root === 'require' && lang !== 'go')) return true;
    if (lang === 'go' && GO_SUITE_ASSERT.test(c.object.text)) return true;
  }
  if (STRING_CHECKS.has(c.name) && (inArgs || within(node, c.object))) return true;
  return false;
}

/** Whether a declaration, assignment or key gives `node` to a name like `expected`. */
function expectedTarget(a: Node, node: Node): boolean {
  let name: Node | null;
  let value: Node | null;
  switch (a.type) {
    case 'variable_declarator':
      [name, value] = [a.childForFieldName('name'), a.childForFieldName('value')];
      break;
    case 'assignment':
    case 'assignment_expression':
    case 'assignment_statement':
    case 'short_var_declaration':
      [name, value] = [a.childForFieldName('left'), a.childForFieldName('right')];
      break;
    case 'var_spec':
    case 'const_spec':
      [name, value] = [a.childForFieldName('name'), a.childForFieldName('value')];
      break;
    case 'let_declaration':
      [name, value] = [a.childForFieldName('pattern'), a.childForFieldName('value')];
      break;
    case 'const_item':
    case 'static_item':
      [name, value] = [a.childForFieldName('name'), a.childForFieldName('value')];
      break;
    case 'pair':
      [name, value] = [a.childForFieldName('key'), a.childForFieldName('value')];
      break;
    case 'keyword_argument':
      [name, value] = [a.childForFieldName('name'), a.childForFieldName('value')];
      break;
    case 'keyed_element': {
      const [k, v] = a.namedChildren;
      [name, value] = [k ?? null, v ?? null];
      break;
    }
    case 'field_initializer':
      [name, value] = [a.childForFieldName('field'), a.childForFieldName('value')];
      break;
    default:
      return false;
  }
  if (!name || !within(node, value)) return false;
  // The last name assigned (`self.expected_sql`, `let mut expected`, Go `expected, err :=`).
  const text =
    name.text
      .replace(/^["'`]|["'`]$/g, '')
      .replace(/^mut\s+/, '')
      .split(/[.,\s]/)
      .filter(Boolean)[0] ?? '';
  const last =
    name.text
      .replace(/^["'`]|["'`]$/g, '')
      .split('.')
      .pop() ?? '';
  return EXPECTED_NAME.test(text) || EXPECTED_NAME.test(last);
}

/**
 * Whether `node` is an expected value, not a query: an argument of an assertion (`assert_eq!`, `expect(…).toBe`,
 * `self.assertEqual`, testify, sqlmock `ExpectQuery`, `assert_called_with`, pytest `approx`), a value assigned to
 * `expected…` (or Go `want…`), inside a Python `assert` or on the left of an `in` test, or the needle or haystack
 * of a string check (`.includes(`, `.startsWith(`, `strings.Contains`).
 */
export function inAssertion(node: Node, lang: Lang): boolean {
  for (const a of ancestors(node)) {
    if (a.type === 'call_expression' || a.type === 'call' || a.type === 'macro_invocation') {
      if (assertionCall(a, lang, node)) return true;
    }
    if (expectedTarget(a, node)) return true;
    if (lang === 'python') {
      if (a.type === 'assert_statement') return true;
      // `"SELECT …" in sql`: the literal is the left operand of `in` / `not in`.
      if (
        a.type === 'comparison_operator' &&
        a.namedChildren[0] &&
        within(node, a.namedChildren[0]) &&
        /^\s*(?:not\s+)?in\b/.test(a.text.slice(a.namedChildren[0].endIndex - a.startIndex))
      )
        return true;
    }
    // An assertion or declaration around the function the literal is in says nothing of it.
    if (FUNCTION_TYPES.has(a.type)) break;
  }
  return false;
}

/**
 * Whether the keyword fallback must leave `node` alone: test code (inTestCode) or an expected value (inAssertion).
 * Called on the literal the fallback looks at.
 */
export function inTestOrAssertion(node: Node, lang: Lang): boolean {
  return inTestCode(node, lang) || inAssertion(node, lang);
}

// ---------------------------------------------------------------------------------------------------------------
// Queries built at run time

/** knex/Objection raw fragments (`whereRaw`, `orderByRaw`, `joinRaw`, …): SQL pieces of a built query, not statements. */
const JS_FRAGMENT =
  /^(?:or|and)?(?:where|having|orderBy|groupBy|join|leftJoin|rightJoin|innerJoin|leftOuterJoin|fullOuterJoin|crossJoin|from|on|select|column|update|with|first)(?:Not)?Raw$/i;
/** SQLAlchemy / peewee constructs whose string arguments are clauses of a built query. */
const PY_FRAGMENT = new Set([
  'select',
  'where',
  'filter',
  'having',
  'order_by',
  'group_by',
  'join',
  'outerjoin',
  'literal_column',
  'column',
  'table',
  'add_columns',
  'with_only_columns',
]);
/** squirrel / goqu / gorm clause methods and string builders in Go. */
const GO_FRAGMENT = new Set(['Where', 'Having', 'Suffix', 'Prefix', 'Expr', 'OrderBy', 'GroupBy', 'Joins', 'WriteString', 'Fprintf']);
/** Query-builder packages: every string given on a chain rooted at one is a clause (`sq.Select(…).From(…)`). */
const GO_BUILDER_PACKAGES = new Set(['sq', 'squirrel', 'goqu', 'sqlbuilder', 'psql']);

/** Node types a literal passes through on its way to the argument or declaration it is part of. */
const VALUE_WRAPPERS = new Set([
  'binary_expression',
  'binary_operator',
  'parenthesized_expression',
  'concatenated_string',
  'as_expression',
  'satisfies_expression',
  'non_null_expression',
  'reference_expression',
  'token_tree',
  'arguments',
  'argument_list',
  'template_string',
  'type_cast_expression',
]);

/** The calls `node` is passed to, innermost first, through wrappers and formatting calls (`text(…)`, `String::from`, `format!`). */
function* enclosingCalls(node: Node, lang: Lang): Generator<Node> {
  for (let n: Node | null = parentOf(node), depth = 0; n && depth < 8; n = parentOf(n), depth++) {
    if (n.type === 'call_expression' || n.type === 'call' || n.type === 'macro_invocation') {
      if (within(node, argumentsOf(n))) yield n;
      else if (!within(node, calleeOf(n, lang)?.object)) return;
      continue;
    }
    if (n.type === 'member_expression' || n.type === 'attribute' || n.type === 'field_expression' || n.type === 'selector_expression') continue;
    if (!VALUE_WRAPPERS.has(n.type)) return;
  }
}

function isFragmentCall(call: Node, lang: Lang): boolean {
  const c = calleeOf(call, lang);
  if (!c) return false;
  switch (lang) {
    case 'rust': {
      // sqlx `QueryBuilder::new(…)` / `QueryBuilder::<Postgres>::new(…)`, sea-query custom expressions, diesel `sql::<T>(…)`.
      const path = c.object?.text ?? '';
      if (/(?:^|::)QueryBuilder(?:\s*(?:::)?\s*<[^]*>)?$/.test(path) && /^(?:new|with_arguments)$/.test(c.name)) return true;
      if (/\bsea_query\b/.test(c.text) || (/(?:^|::)(?:Expr|SimpleExpr)$/.test(path) && /^cust/.test(c.name))) return true;
      if (c.name === 'push_str' || c.name === 'push_sql') return true;
      if (c.name === 'sql' && (path === '' || /(?:^|::)dsl$/.test(path)) && call.childForFieldName('function')?.type === 'generic_function') return true;
      return false;
    }
    case 'python':
      return PY_FRAGMENT.has(c.name);
    case 'go': {
      const root = rootName(c.object);
      if (root && GO_BUILDER_PACKAGES.has(root)) return true;
      if (!GO_FRAGMENT.has(c.name)) return false;
      if (c.name === 'Fprintf')
        return !!c.object && c.object.text === 'fmt' && call.childForFieldName('arguments')?.namedChildren[0]?.type === 'unary_expression';
      return true;
    }
    default:
      if (JS_FRAGMENT.test(c.name)) return true;
      // Kysely / Drizzle `sql.raw(…)`: raw SQL spliced into a query being built.
      return c.name === 'raw' && c.object?.type === 'identifier' && c.object.text === 'sql';
  }
}

const STRING_WRAPPERS = /^(?:from|to_string|to_owned|into|String|format!?|concat!|Sprintf|dedent|strip|trim|join)$/;

/** The name a literal (through wrappers and `String::from`, `.to_string()`) is assigned to by a declaration. */
function declaredName(node: Node): { name: string; decl: Node } | undefined {
  for (let n: Node | null = parentOf(node), depth = 0; n && depth < 8; n = parentOf(n), depth++) {
    let target: Node | null;
    switch (n.type) {
      case 'variable_declarator':
      case 'var_spec':
        target = n.childForFieldName('name');
        break;
      case 'let_declaration':
        target = n.childForFieldName('pattern');
        break;
      case 'assignment':
      case 'assignment_expression':
      case 'short_var_declaration':
      case 'assignment_statement':
        target = n.childForFieldName('left');
        break;
      case 'call_expression':
      case 'call':
      case 'macro_invocation': {
        // Only through calls that keep the string a string (`String::from`, `.to_string()`, `.format()`,
        // `fmt.Sprintf`): `rows = cur.execute("…")` names the result, not the SQL.
        const c = calleeOf(n, 'rust') ?? calleeOf(n, 'python');
        if (c && STRING_WRAPPERS.test(c.name)) continue;
        return undefined;
      }
      case 'member_expression':
      case 'attribute':
      case 'field_expression':
      case 'scoped_identifier':
      case 'generic_function':
      case 'selector_expression':
        continue;
      default:
        if (VALUE_WRAPPERS.has(n.type) || n.type === 'expression_list' || n.type === 'mut_pattern') continue;
        return undefined;
    }
    const name = target?.text.replace(/^mut\s+/, '').trim() ?? '';
    return /^[A-Za-z_$][\w$]*$/.test(name) ? { name, decl: n } : undefined;
  }
  return undefined;
}

/** The scope a declaration's later uses are looked for in: its function body, else the file. */
function scopeOf(decl: Node): Node {
  let n: Node = decl;
  for (const a of ancestors(decl)) {
    n = a;
    if (FUNCTION_TYPES.has(a.type)) break;
  }
  return n;
}

function escapeRe(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

/**
 * Whether a variable the literal starts is appended to later in its scope: `sql += …`, `sql = sql + …`,
 * `q.push_str(…)`, `q.push(…)` of a sqlx builder, `b.WriteString(…)`, `write!(q, …)`: the literal is a prefix.
 */
function appendedLater(node: Node): boolean {
  const d = declaredName(node);
  if (!d) return false;
  const scope = scopeOf(d.decl);
  onTextRead?.(node.startIndex, d.decl.endIndex, scope.endIndex);
  const after = scope.text.slice(d.decl.endIndex - scope.startIndex);
  const n = escapeRe(d.name);
  const re = new RegExp(
    String.raw`(?<![\w$.])${n}\s*\+=|(?<![\w$.])${n}\s*=\s*${n}\s*\+|(?<![\w$])${n}\s*\.\s*(?:push_str|push|push_bind|push_values|separated|WriteString|concat|append)\s*\(|write!\s*\(\s*(?:&\s*mut\s+)?${n}\b|${n}\s*=\s*append\s*\(\s*${n}\b|${n}\s*\.\s*extend\s*\(`,
  );
  return re.test(after);
}

/**
 * Whether `node` is the start of a query built at run time, so nothing is to be guessed from it: an argument of a
 * query builder (sqlx `QueryBuilder::new`, sea-query, diesel `sql::<T>`, knex `whereRaw`-style fragments, Kysely
 * `sql.raw`, SQLAlchemy `select(…)`/`.where(…)` clauses, squirrel/goqu/gorm clauses, a string builder's
 * `WriteString`/`push_str`), or the first value of a variable appended to later in its scope.
 */
export function isBuilderStart(node: Node, lang: Lang): boolean {
  for (const call of enclosingCalls(node, lang)) if (isFragmentCall(call, lang)) return true;
  return appendedLater(node);
}

// ---------------------------------------------------------------------------------------------------------------
// Down migrations

/** Parameters a JavaScript migration step takes. */
const JS_MIGRATION_PARAM =
  /^\s*\(?\s*(?:queryRunner|knex|db|pgm|queryInterface|sequelize|client|trx|migration)\b|:\s*(?:QueryRunner|Knex|MigrationBuilder|QueryInterface)\b/;

function jsFunctionParams(fn: Node | null | undefined): string {
  return fn?.childForFieldName('parameters')?.text ?? fn?.childForFieldName('parameter')?.text ?? '';
}

/** A module's top level: the program, or an `export` there. */
function isTopLevel(n: Node | null): boolean {
  return n?.type === 'export_statement' || n?.type === 'program';
}

function jsDownStep(a: Node): boolean {
  switch (a.type) {
    case 'method_definition': {
      if (a.childForFieldName('name')?.text !== 'down') return false;
      const cls = parentOf(parentOf(a));
      if (cls && (cls.type === 'class_declaration' || cls.type === 'class')) {
        const heritage = cls.namedChildren.find((c) => c?.type === 'class_heritage')?.text ?? '';
        if (/\bMigrationInterface\b/.test(heritage) || /\d{10,}/.test(cls.childForFieldName('name')?.text ?? '')) return true;
      }
      // An object's `down(knex) {…}` or a class's `down(queryRunner)`.
      return JS_MIGRATION_PARAM.test(jsFunctionParams(a).replace(/^\(/, ''));
    }
    case 'function_declaration':
    case 'generator_function_declaration':
      // `export async function down(knex)`, or a top-level `function down` given to `module.exports`.
      return a.childForFieldName('name')?.text === 'down' && isTopLevel(parentOf(a));
    case 'variable_declarator':
      // `export const down = async (knex) => …`
      return a.childForFieldName('name')?.text === 'down' && isFunctionNode(a.childForFieldName('value')) && isTopLevel(parentOf(parentOf(a)));
    case 'assignment_expression':
      // `exports.down = …`, `module.exports.down = …`
      return /^(?:module\.)?exports\.down$/.test(a.childForFieldName('left')?.text ?? '') && isFunctionNode(a.childForFieldName('right'));
    case 'pair': {
      // `module.exports = { down: async (queryInterface) => … }`, `export default { down(knex) {…} }`
      if (!/^["']?down["']?$/.test(a.childForFieldName('key')?.text ?? '')) return false;
      const value = a.childForFieldName('value');
      if (!isFunctionNode(value)) return false;
      const holder = parentOf(parentOf(a));
      return (
        (holder?.type === 'assignment_expression' && /^module\.exports$|^exports$/.test(holder.childForFieldName('left')?.text ?? '')) ||
        holder?.type === 'export_statement' ||
        JS_MIGRATION_PARAM.test(jsFunctionParams(value).replace(/^\(/, ''))
      );
    }
    default:
      return false;
  }
}

function isFunctionNode(n: Node | null | undefined): boolean {
  return !!n && (n.type === 'arrow_function' || n.type === 'function_expression' || n.type === 'function');
}

/** Go registrations whose last argument is the down step: goose `AddMigration*`/`AddNamedMigration*`/`NewGoMigration`, go-pg `Register*`. */
const GO_REGISTER = /^(?:goose|migrations?|migrate)\.(?:Add\w*Migration\w*|NewGoMigration|MustRegister\w*|Register\w*)$/;
const GO_DOWN_NAMES = new WeakMap<object, Set<string>>();

function goRegistration(call: Node | null | undefined): boolean {
  return !!call && call.type === 'call_expression' && GO_REGISTER.test(call.childForFieldName('function')?.text ?? '');
}

/** The function names a Go file registers as down steps (cached per tree). */
export function goDownNames(root: Node): Set<string> {
  let names = GO_DOWN_NAMES.get(root.tree);
  if (names) return names;
  names = new Set();
  for (const call of root.descendantsOfType('call_expression')) {
    if (!goRegistration(call)) continue;
    const args = call!.childForFieldName('arguments')?.namedChildren.filter((c) => c && c.type !== 'comment') ?? [];
    const last = args[args.length - 1];
    // A func literal is handled at the literal (the names inside its body are not steps).
    if (!last || last.type === 'func_literal') continue;
    // A name (`downCreateUsers`, `migrations.Down0001`), `&goose.GoFunc{RunTx: down}`, or a func literal (handled at the literal).
    for (const id of [last, ...last.descendantsOfType(['identifier', 'field_identifier'])]) {
      if (!id) continue;
      if (id.type === 'identifier' || id.type === 'field_identifier') names.add(id.text);
      else if (id.type === 'selector_expression') names.add(id.childForFieldName('field')?.text ?? '');
    }
  }
  GO_DOWN_NAMES.set(root.tree, names);
  return names;
}

function lastArgument(call: Node): Node | undefined {
  const args = call.childForFieldName('arguments')?.namedChildren.filter((c) => c && c.type !== 'comment') ?? [];
  return args[args.length - 1] ?? undefined;
}

/**
 * Whether `node` lies in a migration's down step, which undoes the forward DDL (so it must not feed the catalog
 * as DDL nor be judged as a change to apply): TypeORM `down(queryRunner)` of a MigrationInterface class, knex /
 * db-migrate / Sequelize `exports.down`, `export async function down`, `module.exports = { down }`, Alembic
 * `downgrade()`, Django `RunSQL(…, reverse_sql=…)`, yoyo `step(apply, rollback)`, a goose / go-pg down function
 * (named in the registration or a func literal there), sea-orm `MigrationTrait::down`.
 */
export function inDownMigration(node: Node, lang: Lang): boolean {
  for (const a of ancestors(node)) {
    switch (lang) {
      case 'python': {
        if (a.type === 'function_definition' && /^downgrade(?:_\w+)?$/.test(a.childForFieldName('name')?.text ?? '')) return true;
        if (a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'reverse_sql' && within(node, a.childForFieldName('value'))) return true;
        const call = a.type === 'argument_list' ? parentOf(a) : null;
        if (call?.type === 'call') {
          // `RunSQL(forward, reverse)`, yoyo `step(apply, rollback)`: the second positional argument.
          const name = calleeOf(call, lang)?.name;
          const positional = a.namedChildren.filter((c) => c && c.type !== 'keyword_argument' && c.type !== 'comment');
          if ((name === 'RunSQL' || name === 'step') && positional[1] && within(node, positional[1])) return true;
        }
        break;
      }
      case 'go':
        if (a.type === 'func_literal' && parentOf(a)?.type === 'argument_list') {
          const registration = parentOf(parentOf(a));
          if (goRegistration(registration) && lastArgument(registration!)?.startIndex === a.startIndex) return true;
        }
        if (a.type === 'function_declaration') {
          const name = a.childForFieldName('name')?.text ?? '';
          return goDownNames(a.tree.rootNode).has(name);
        }
        break;
      case 'rust':
        // sea-orm-migration: `impl MigrationTrait for Migration { async fn down(&self, manager: &SchemaManager) … }`
        if (a.type === 'function_item' && a.childForFieldName('name')?.text === 'down') {
          const impl = parentOf(parentOf(a));
          if (impl?.type === 'impl_item' && /MigrationTrait\b/.test(impl.childForFieldName('trait')?.text ?? '')) return true;
        }
        break;
      default:
        if (jsDownStep(a)) return true;
    }
  }
  return false;
}
