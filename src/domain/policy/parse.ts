// Policy YAML → Policy, with every error located by line and column in the YAML text.
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { policySchema, type Policy } from './schema.js';

export interface PolicyProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(readonly problems: PolicyProblem[]) {
    super(
      'The policy is not valid: ' +
        problems.map((p) => `${p.line ? `line ${p.line}, column ${p.column}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`).join('; '),
    );
  }
}

/** The YAML node at a path, to locate an error; falls back to the nearest parent that exists. */
function nodeAt(root: Node | null, path: readonly PropertyKey[]): { node: Node | null; key: boolean } {
  let node: Node | null = root;
  let viaKey = false;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) return { node, key: viaKey };
      // An unknown key is best pointed at by the key itself.
      node = (pair.value as Node | null) ?? (pair.key as Node);
      viaKey = pair.value == null;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return { node, key: viaKey };
      node = item;
    } else {
      return { node, key: viaKey };
    }
  }
  return { node, key: viaKey };
}

function keyNode(root: Node | null, path: readonly PropertyKey[], key: string): Node | null {
  const { node } = nodeAt(root, path);
  if (!isMap(node)) return null;
  const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  return (pair?.key as Node | null) ?? null;
}

export function parsePolicy(text: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const locate = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length) {
    throw new PolicyError(doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0]!, ...locate(e.pos[0]) })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // Unresolved or excessive aliases surface only when the document is turned into values.
    throw new PolicyError([{ path: '', message: (error as Error).message.split('\n')[0]! }]);
  }
  const result = policySchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): PolicyProblem => {
    const path = issue.path.map(String).join('.');
    let node: Node | null = null;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      node = keyNode(doc.contents, issue.path, key);
      message = `unknown ${issue.keys.length > 1 ? 'keys' : 'key'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    node ??= nodeAt(doc.contents, issue.path).node;
    return { path, message, ...locate(node?.range?.[0]) };
  });
  throw new PolicyError(problems);
}
