import { expect } from 'chai';
import path from 'node:path';
import { type Node, type SourceFile, SyntaxKind } from 'typescript/unstable/ast';
import { API } from 'typescript/unstable/sync';
import { ROOT } from './helpers.js';

/**
 * House limits on the size of the code a person reads (specs are exempt): a file says one thing,
 * a function does one job. Lines are counted as an editor shows them, blank lines and comments
 * included; a function's leading doc comment is not part of it.
 */
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
const CHECKED_FOLDERS = ['lib', 'stages', 'bin', 'bench'];

const FUNCTION_KINDS = new Set<SyntaxKind>([
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
]);

/** The checked source files as the compiler parses them (the project of tsconfig.json). */
function checkedSources(): SourceFile[] {
  const api = new API({ cwd: ROOT });
  try {
    const project = api.updateSnapshot({ openProject: path.join(ROOT, 'tsconfig.json') }).getProjects()[0]!;
    const inChecked = (file: string): boolean => CHECKED_FOLDERS.some((folder) => file.startsWith(`${folder}/`));
    return project.program
      .getSourceFileNames()
      .filter((file) => inChecked(path.relative(ROOT, file).split(path.sep).join('/')))
      .map((file) => project.program.getSourceFile(file)!);
  } finally {
    api.close();
  }
}

/** The files and the functions over their limits, as `file:line (N lines)`, the file relative to the root. */
function oversized(sources: SourceFile[]): { files: string[]; functions: string[] } {
  const files: string[] = [];
  const functions: string[] = [];
  for (const source of sources) {
    const name = path.relative(ROOT, source.fileName).split(path.sep).join('/');
    const lineOf = (position: number): number => source.getLineAndCharacterOfPosition(position).line + 1;
    const fileLines = source.text.endsWith('\n') ? lineOf(source.end) - 1 : lineOf(source.end);
    if (fileLines > MAX_FILE_LINES) files.push(`${name}:1 (${fileLines} lines)`);
    const visit = (node: Node): void => {
      if (FUNCTION_KINDS.has(node.kind)) {
        const first = lineOf(node.getStart(source));
        const lines = lineOf(node.end) - first + 1;
        if (lines > MAX_FUNCTION_LINES) functions.push(`${name}:${first} (${lines} lines)`);
      }
      node.forEachChild(visit);
    };
    visit(source);
  }
  return { files: files.sort(), functions: functions.sort() };
}

describe('source sizes', function () {
  // Starting the compiler and parsing the project takes a few seconds on a busy machine.
  this.timeout(60_000);
  let found: ReturnType<typeof oversized>;
  before(() => {
    found = oversized(checkedSources());
  });

  it(`keeps every file in ${CHECKED_FOLDERS.join(', ')} within ${MAX_FILE_LINES} lines`, () => {
    expect(found.files, `files over ${MAX_FILE_LINES} lines`).to.deep.equal([]);
  });

  it(`keeps every function there within ${MAX_FUNCTION_LINES} lines`, () => {
    expect(found.functions, `functions over ${MAX_FUNCTION_LINES} lines`).to.deep.equal([]);
  });
});
