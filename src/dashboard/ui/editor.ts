// The code editor: CodeMirror 6 with JavaScript or TypeScript highlighting by the
// module's name, and syntax errors marked as the user types. Errors come from the
// parser's own tree (Lezer marks what it could not parse), so they show before any
// deploy and without a round trip; the server checks again on preview and deploy.

import { basicSetup } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { syntaxTree, ensureSyntaxTree } from '@codemirror/language';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { indentWithTab } from '@codemirror/commands';

export interface SyntaxError_ {
  line: number;
  column: number;
  message: string;
}

export const isScript = (name: string) => /\.(m?js|cjs|ts|mts)$/.test(name);

function language(name: string): Extension {
  if (/\.(ts|mts)$/.test(name)) return javascript({ typescript: true });
  if (/\.(m?js|cjs)$/.test(name)) return javascript();
  if (/\.json$/.test(name)) return json();
  return [];
}

/** Syntax errors in a script module's text, from the same parser the editor uses. */
export function syntaxErrors(state: EditorState): Diagnostic[] {
  const tree = ensureSyntaxTree(state, state.doc.length, 1000) ?? syntaxTree(state);
  const found: Diagnostic[] = [];
  tree.iterate({
    enter(node) {
      if (!node.type.isError || found.length >= 20) return;
      const from = node.from;
      const to = Math.max(node.to, Math.min(from + 1, state.doc.length));
      found.push({ from, to, severity: 'error', message: 'Syntax error: unexpected or missing token here' });
    },
  });
  return found;
}

export function describe(state: EditorState, d: Diagnostic): SyntaxError_ {
  const line = state.doc.lineAt(d.from);
  return { line: line.number, column: d.from - line.from + 1, message: d.message };
}

export function moduleState(name: string, text: string, onChange: () => void, readOnly: boolean): EditorState {
  return EditorState.create({
    doc: text,
    extensions: [
      basicSetup,
      keymap.of([indentWithTab]),
      language(name),
      isScript(name) ? [linter((view) => syntaxErrors(view.state), { delay: 300 }), lintGutter()] : [],
      EditorView.updateListener.of((u) => { if (u.docChanged) onChange(); }),
      EditorState.readOnly.of(readOnly),
      EditorView.contentAttributes.of({ 'aria-label': `Code of ${name}` }),
    ],
  });
}

export function createEditor(parent: HTMLElement, state: EditorState): EditorView {
  return new EditorView({ state, parent });
}
