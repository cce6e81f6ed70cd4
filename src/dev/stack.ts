// Maps positions in a stack trace from the bundle the isolate ran back to the user's
// own files, with the bundle's source map, so a log says `src/index.ts:12:5` rather
// than a line of the bundle.

import { SourceMap, type SourceMapPayload } from 'node:module';

export type StackMapper = (stack: string) => string;

/** A mapper for stacks from module `moduleName` (named `file:///<name>` in the isolate). */
export function stackMapper(moduleName: string, sourceMapJson: string): StackMapper {
  if (sourceMapJson === '') return (s) => s;
  const map = new SourceMap(JSON.parse(sourceMapJson) as SourceMapPayload);
  const file = `file:///${moduleName}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const frame = new RegExp(`${file}:(\\d+):(\\d+)`, 'g');
  return (stack) => stack.replace(frame, (whole, line: string, col: string) => {
    const origin = map.findOrigin(Number(line), Number(col));
    return 'fileName' in origin && origin.fileName ? `${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}` : whole;
  });
}
